//! Spare frame buffers: a frame the stack has consumed gives its buffer back, and the next
//! frame built takes it instead of asking the allocator (issue 13: a zeroed allocation and a
//! free were about 220 instructions of every frame an echo builds, some 5% of bridge-echo).
//!
//! One small list per thread (a run is one thread; tests run side by side), at most `KEEP`
//! buffers of at most `LARGEST` bytes each: a bounded, tiny reserve. A buffer handed out is
//! all zeros, as a new one is, so nothing built from it can tell the difference.

use std::cell::RefCell;

/// At most this many spare buffers are kept.
const KEEP: usize = 64;
/// Buffers larger than this (jumbo frames, reassembled datagrams) go back to the allocator.
const LARGEST: usize = 2048;

thread_local! {
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// `len` zero bytes, in a spare buffer when one is kept.
pub(crate) fn zeroed(len: usize) -> Vec<u8> {
    match SPARE.with_borrow_mut(Vec::pop) {
        Some(mut v) => {
            // Spares are kept empty, so this writes `len` zeros.
            v.resize(len, 0);
            v
        }
        None => vec![0; len],
    }
}

/// An empty buffer with room for `len` bytes, a spare one when one is kept: for a builder
/// that writes every byte of its frame (no zeros to write first).
pub(crate) fn empty(len: usize) -> Vec<u8> {
    match SPARE.with_borrow_mut(Vec::pop) {
        Some(mut v) => {
            // Spares are kept empty.
            v.reserve(len);
            v
        }
        None => Vec::with_capacity(len),
    }
}

/// Keeps `v` for a frame built later (if it is small and fewer than `KEEP` are kept).
pub fn give_back(mut v: Vec<u8>) {
    if v.capacity() > LARGEST || v.capacity() == 0 {
        return;
    }
    v.clear();
    SPARE.with_borrow_mut(|spare| {
        if spare.len() < KEEP {
            spare.push(v);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A buffer given back comes out again zeroed, at the length asked; the list stays
    /// bounded, and large buffers are not kept.
    #[test]
    fn a_spare_comes_back_zeroed_and_the_spares_stay_few() {
        give_back(vec![0xab; 100]);
        let v = zeroed(60);
        assert_eq!(v, vec![0; 60]);
        assert!(v.capacity() >= 100, "the spare was reused");
        give_back(v);
        let v = zeroed(300);
        assert_eq!(v, vec![0; 300]);
        for _ in 0..2 * KEEP {
            give_back(vec![1; 64]);
        }
        give_back(vec![1; LARGEST + 1]);
        assert_eq!(SPARE.with_borrow(Vec::len), KEEP);
        assert!(SPARE.with_borrow(|s| s.iter().all(|b| b.is_empty() && b.capacity() <= LARGEST)));
    }
}
