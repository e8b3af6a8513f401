export default class Planner {
  constructor(n) {
    this.n = n;
  }
  static async *gen<T>(x) { }
  #priv() {}
}
