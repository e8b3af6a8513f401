impl<T: Clone> Tr for Box<T> {
    fn f(&self) {}
}
pub(crate) fn g() {}
macro_rules! m { () => {} }
