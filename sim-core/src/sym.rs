//! Interned names for the run log: a trace action holds a `Sym`, a small copyable id, and the
//! name behind it is looked up only when the log is rendered.
//!
//! Interning happens only for traced frames (inside the closures of `Outbox::hop`), so the
//! untraced packet path never touches it. Ids are handed out in first-seen order and never
//! reused, so a log stays readable after the device or rule that named something is gone.

use crate::fastmap::FastMap;
use serde::{Serialize, Serializer};

/// An interned name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(pub u32);

/// The newtype name a `Sym` serializes under. The run log's serializer (`crate::log`)
/// recognises it and writes the name behind the id; no other output should carry a `Sym`.
pub const SERDE_NAME: &str = "hnsim::Sym";

impl Serialize for Sym {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(SERDE_NAME, &self.0)
    }
}

#[derive(Debug, Default, Clone)]
pub struct Interner {
    names: Vec<Box<str>>,
    index: FastMap<Box<str>, u32>,
}

impl Interner {
    pub fn intern(&mut self, name: &str) -> Sym {
        if let Some(&i) = self.index.get(name) {
            return Sym(i);
        }
        let i = self.names.len() as u32;
        self.names.push(name.into());
        self.index.insert(name.into(), i);
        Sym(i)
    }

    /// The name behind `sym`; an id from another interner reads as `?`.
    pub fn get(&self, sym: Sym) -> &str {
        self.names.get(sym.0 as usize).map_or("?", |s| s)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_same_sym() {
        let mut i = Interner::default();
        let a = i.intern("vEthernet (nat)");
        let b = i.intern("Ethernet");
        assert_eq!(i.intern("vEthernet (nat)"), a);
        assert_ne!(a, b);
        assert_eq!(i.get(b), "Ethernet");
        assert_eq!(i.get(Sym(99)), "?");
    }
}
