class K {
    public // note (x) {
    static // y
    int f(int a) {
    }
}
