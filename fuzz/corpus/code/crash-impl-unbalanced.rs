impl<T: Ce) fn g() {}
maCcro_rules! m { () => {} }
