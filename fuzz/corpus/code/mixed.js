export async function f(a) {
  return a;
}
const g = (x) => x;
export default class C {
  m() {}
}
