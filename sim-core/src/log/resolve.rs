//! The resolving serializer: wraps any serde `Serializer` and writes every `Sym` as the name
//! behind it, and every enum value (a unit variant such as `Hook::Forward`) in snake_case.
//!
//! It forwards everything else unchanged, wrapping each nested value so that the rule holds
//! at any depth. A `Sym` is recognised by the newtype name it serializes under
//! (`sym::SERDE_NAME`), so the device types keep their plain derives.

use crate::sym::{Interner, Sym, SERDE_NAME};
use serde::ser::{
    Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

/// `value`, serialized with every `Sym` resolved through `syms`.
pub struct Resolved<'a, T: ?Sized> {
    value: &'a T,
    syms: &'a Interner,
}

impl<'a, T: ?Sized> Resolved<'a, T> {
    pub fn new(value: &'a T, syms: &'a Interner) -> Self {
        Resolved { value, syms }
    }
}

impl<T: Serialize + ?Sized> Serialize for Resolved<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Resolver {
            inner: serializer,
            syms: self.syms,
            in_sym: false,
        })
    }
}

/// A unit variant's name in snake_case: `Prerouting` -> `prerouting`, `NodeGone` -> `node_gone`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

struct Resolver<'a, S> {
    inner: S,
    syms: &'a Interner,
    /// Set while serializing the id inside a `Sym`.
    in_sym: bool,
}

/// A compound value being written: each element is wrapped so that it resolves too.
struct Compound<'a, C> {
    inner: C,
    syms: &'a Interner,
}

impl<'a, S: Serializer> Resolver<'a, S> {
    fn wrap<'v, T: ?Sized>(&self, value: &'v T) -> Resolved<'v, T>
    where
        'a: 'v,
    {
        Resolved::new(value, self.syms)
    }
}

macro_rules! forward {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<S::Ok, S::Error> {
            self.inner.$method(v)
        })*
    };
}

impl<'a, S: Serializer> Serializer for Resolver<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<'a, S::SerializeSeq>;
    type SerializeTuple = Compound<'a, S::SerializeTuple>;
    type SerializeTupleStruct = Compound<'a, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<'a, S::SerializeTupleVariant>;
    type SerializeMap = Compound<'a, S::SerializeMap>;
    type SerializeStruct = Compound<'a, S::SerializeStruct>;
    type SerializeStructVariant = Compound<'a, S::SerializeStructVariant>;

    forward!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );

    fn serialize_u32(self, v: u32) -> Result<S::Ok, S::Error> {
        if self.in_sym {
            self.inner.serialize_str(self.syms.get(Sym(v)))
        } else {
            self.inner.serialize_u32(v)
        }
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_none()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        let v = self.wrap(value);
        self.inner.serialize_some(&v)
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_str(&snake_case(variant))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        if name == SERDE_NAME {
            return value.serialize(Resolver {
                inner: self.inner,
                syms: self.syms,
                in_sym: true,
            });
        }
        let v = self.wrap(value);
        self.inner.serialize_newtype_struct(name, &v)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let v = self.wrap(value);
        self.inner
            .serialize_newtype_variant(name, index, variant, &v)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        let c = self.inner.serialize_seq(len)?;
        Ok(Compound {
            inner: c,
            syms: self.syms,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        let c = self.inner.serialize_tuple(len)?;
        Ok(Compound {
            inner: c,
            syms: self.syms,
        })
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        let syms = self.syms;
        let c = self.inner.serialize_tuple_struct(name, len)?;
        Ok(Compound { inner: c, syms })
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        let syms = self.syms;
        let c = self
            .inner
            .serialize_tuple_variant(name, index, variant, len)?;
        Ok(Compound { inner: c, syms })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        let c = self.inner.serialize_map(len)?;
        Ok(Compound {
            inner: c,
            syms: self.syms,
        })
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let syms = self.syms;
        let c = self.inner.serialize_struct(name, len)?;
        Ok(Compound { inner: c, syms })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let syms = self.syms;
        let c = self
            .inner
            .serialize_struct_variant(name, index, variant, len)?;
        Ok(Compound { inner: c, syms })
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

impl<C: SerializeSeq> SerializeSeq for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_element(&Resolved::new(value, self.syms))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeTuple> SerializeTuple for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_element(&Resolved::new(value, self.syms))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeTupleStruct> SerializeTupleStruct for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner.serialize_field(&Resolved::new(value, self.syms))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeTupleVariant> SerializeTupleVariant for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner.serialize_field(&Resolved::new(value, self.syms))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeMap> SerializeMap for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        self.inner.serialize_key(&Resolved::new(key, self.syms))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner.serialize_value(&Resolved::new(value, self.syms))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeStruct> SerializeStruct for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        self.inner
            .serialize_field(key, &Resolved::new(value, self.syms))
    }
    fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
        self.inner.skip_field(key)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeStructVariant> SerializeStructVariant for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        self.inner
            .serialize_field(key, &Resolved::new(value, self.syms))
    }
    fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
        self.inner.skip_field(key)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    enum Verdict {
        NodeGone,
    }

    #[derive(Serialize)]
    struct Sample {
        name: Sym,
        maybe: Option<Sym>,
        list: Vec<Sym>,
        pair: (Sym, u32),
        plain: u32,
        verdict: Verdict,
    }

    #[test]
    fn syms_become_names_and_enum_values_snake_case() {
        let mut syms = Interner::default();
        let a = syms.intern("vEthernet (nat)");
        let b = syms.intern("WinNAT");
        let sample = Sample {
            name: a,
            maybe: Some(b),
            list: vec![b, a],
            pair: (a, 1),
            plain: 0,
            verdict: Verdict::NodeGone,
        };
        let json = serde_json::to_string(&Resolved::new(&sample, &syms)).expect("serializes");
        assert_eq!(
            json,
            r#"{"name":"vEthernet (nat)","maybe":"WinNAT","list":["WinNAT","vEthernet (nat)"],"pair":["vEthernet (nat)",1],"plain":0,"verdict":"node_gone"}"#
        );
        // Without the resolver a Sym is only a number: the log never writes one that way.
        let raw = serde_json::to_string(&sample).expect("serializes");
        assert!(raw.starts_with(r#"{"name":0,"#), "{raw}");
    }

    #[test]
    fn snake_case_of_variant_names() {
        assert_eq!(snake_case("Prerouting"), "prerouting");
        assert_eq!(snake_case("NodeGone"), "node_gone");
        assert_eq!(snake_case("Dnat"), "dnat");
    }
}
