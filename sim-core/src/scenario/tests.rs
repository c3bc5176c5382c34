use super::*;

const FULL: &str = include_str!("testdata/full.ron");

#[test]
fn dbg_full() {
    match load_str("full.ron", FULL) {
        Ok(l) => println!("{:#?}", l.step_positions),
        Err(d) => panic!("{}", render(&d)),
    }
}
