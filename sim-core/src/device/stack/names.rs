//! Name tables and the resolver that answers from them inside a namespace.
//!
//! A `NameTable` maps names (case-insensitive) to addresses and addresses back to names. It
//! is shared (`SharedNames`): the control plane keeps one per network and hands the same
//! table to the resolver of every namespace on that network, so a record added or removed
//! once is seen by all of them, and no namespace holds a copy (adding a member costs the
//! member's own names, not one write per namespace).
//!
//! A `LocalResolver` is a DNS server bound to a loopback address of the stack it runs in
//! (Docker's embedded DNS on Linux answers at 127.0.0.11 inside each container's namespace,
//! reference linux-drivers.md section 7): it answers from its tables in order, then from its
//! private names, and forwards the rest or answers SERVFAIL. What it does with a packet is
//! `socket::resolver`.

use serde::{Serialize, Serializer};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::rc::Rc;

/// Names and addresses both ways. Names are kept lower-cased (DNS names are
/// case-insensitive); each registration is one entry, so a name two members share answers
/// with both addresses, and removing one member's registration keeps the other's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NameTable {
    names: BTreeMap<String, Vec<Ipv4Addr>>,
    reverse: BTreeMap<Ipv4Addr, Vec<String>>,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl NameTable {
    /// `name` answers with `ip` (once more, if it already did).
    pub fn add(&mut self, name: &str, ip: Ipv4Addr) {
        self.names.entry(key(name)).or_default().push(ip);
    }

    /// Takes one registration of `name` to `ip` away.
    pub fn remove(&mut self, name: &str, ip: Ipv4Addr) {
        let k = key(name);
        if let Some(ips) = self.names.get_mut(&k) {
            if let Some(i) = ips.iter().position(|a| *a == ip) {
                ips.remove(i);
            }
            if ips.is_empty() {
                self.names.remove(&k);
            }
        }
    }

    /// A reverse lookup of `ip` answers `name` (the first one registered wins).
    pub fn add_ptr(&mut self, ip: Ipv4Addr, name: &str) {
        self.reverse.entry(ip).or_default().push(name.to_string());
    }

    pub fn remove_ptr(&mut self, ip: Ipv4Addr, name: &str) {
        if let Some(names) = self.reverse.get_mut(&ip) {
            if let Some(i) = names.iter().position(|n| n == name) {
                names.remove(i);
            }
            if names.is_empty() {
                self.reverse.remove(&ip);
            }
        }
    }

    /// The addresses `name` answers with, in the order they were registered.
    pub fn lookup(&self, name: &str) -> &[Ipv4Addr] {
        self.names.get(&key(name)).map_or(&[], Vec::as_slice)
    }

    /// The name a reverse lookup of `ip` answers.
    pub fn ptr(&self, ip: Ipv4Addr) -> Option<&str> {
        self.reverse.get(&ip)?.first().map(String::as_str)
    }

    /// How many names are registered (each name once).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// A `NameTable` several resolvers read and one control plane writes.
#[derive(Clone, Default)]
pub struct SharedNames(Rc<RefCell<NameTable>>);

impl SharedNames {
    pub fn new() -> Self {
        SharedNames::default()
    }

    /// Reads the table.
    pub fn with<R>(&self, f: impl FnOnce(&NameTable) -> R) -> R {
        f(&self.0.borrow())
    }

    /// Changes the table (every resolver sharing it sees the change at once).
    pub fn update<R>(&self, f: impl FnOnce(&mut NameTable) -> R) -> R {
        f(&mut self.0.borrow_mut())
    }

    /// Whether both handles are the same table.
    pub fn same(&self, other: &SharedNames) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for SharedNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.borrow().fmt(f)
    }
}

impl PartialEq for SharedNames {
    fn eq(&self, other: &Self) -> bool {
        self.same(other) || *self.0.borrow() == *other.0.borrow()
    }
}

impl Eq for SharedNames {}

impl Serialize for SharedNames {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.borrow().serialize(s)
    }
}

/// One table a resolver answers from, with the suffix that names it alone: `c2.n1` asks
/// the table whose suffix is `n1` for `c2`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResolverTable {
    pub suffix: String,
    pub names: SharedNames,
}

/// A DNS server on a loopback address of its own stack (see the module header).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalResolver {
    /// For traces, e.g. "docker embedded DNS (c1)".
    pub name: String,
    /// The address it listens on (127.0.0.11).
    pub bind: Ipv4Addr,
    /// Its UDP port (queries reach it through a DNAT of port 53 in the stack's ruleset).
    pub udp_port: u16,
    /// Its TCP port (listed as listening; DNS over TCP is not modelled).
    pub tcp_port: u16,
    /// The tables it answers from, first match wins.
    pub tables: Vec<ResolverTable>,
    /// Names only this namespace resolves (a `--link` alias), asked before the tables.
    pub private: Vec<(String, Ipv4Addr)>,
    /// Where unknown names go (the first one is asked).
    pub upstreams: Vec<Ipv4Addr>,
    /// Whether unknown names are forwarded; otherwise they are answered SERVFAIL.
    pub forward_unknown: bool,
    /// Seeds the order of several answers for one name (they are shuffled).
    pub shuffle_seed: u64,
}

/// What a resolver knows about a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Known {
    /// The addresses it answers with, in table order (before shuffling).
    Addrs(Vec<Ipv4Addr>),
    /// A reverse lookup's answer.
    Ptr(String),
    /// Nothing: forward or fail.
    Unknown,
}

impl LocalResolver {
    /// The answer to a question about `name` (a forward name, or `in-addr.arpa` when
    /// `reverse` is the address it names).
    pub fn resolve(&self, name: &str, reverse: Option<Ipv4Addr>) -> Known {
        if let Some(ip) = reverse {
            for t in &self.tables {
                if let Some(n) = t.names.with(|n| n.ptr(ip).map(str::to_string)) {
                    return Known::Ptr(format!("{n}.{}", t.suffix));
                }
            }
            return Known::Unknown;
        }
        let k = key(name);
        let private: Vec<Ipv4Addr> = self
            .private
            .iter()
            .filter(|(n, _)| key(n) == k)
            .map(|(_, ip)| *ip)
            .collect();
        if !private.is_empty() {
            return Known::Addrs(private);
        }
        for t in &self.tables {
            let suffix = format!(".{}", key(&t.suffix));
            let found = t.names.with(|n| {
                let mut ips = n.lookup(&k).to_vec();
                if ips.is_empty() {
                    if let Some(short) = k.strip_suffix(&suffix) {
                        ips = n.lookup(short).to_vec();
                    }
                }
                ips
            });
            if !found.is_empty() {
                return Known::Addrs(found);
            }
        }
        Known::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().expect("an address")
    }

    fn resolver(tables: Vec<(&str, SharedNames)>) -> LocalResolver {
        LocalResolver {
            name: "test".into(),
            bind: ip("127.0.0.11"),
            udp_port: 40000,
            tcp_port: 40001,
            tables: tables
                .into_iter()
                .map(|(s, names)| ResolverTable {
                    suffix: s.into(),
                    names,
                })
                .collect(),
            private: Vec::new(),
            upstreams: Vec::new(),
            forward_unknown: true,
            shuffle_seed: 1,
        }
    }

    #[test]
    fn names_are_case_insensitive_and_counted_per_registration() {
        let mut t = NameTable::default();
        t.add("Web2", ip("172.18.0.3"));
        t.add("svc", ip("172.18.0.2"));
        t.add("svc", ip("172.18.0.3"));
        assert_eq!(t.lookup("WEB2"), &[ip("172.18.0.3")]);
        assert_eq!(t.lookup("svc."), &[ip("172.18.0.2"), ip("172.18.0.3")]);
        t.remove("svc", ip("172.18.0.2"));
        assert_eq!(t.lookup("svc"), &[ip("172.18.0.3")]);
        t.remove("svc", ip("172.18.0.3"));
        assert!(t.lookup("svc").is_empty());
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn a_shared_table_changes_for_every_holder() {
        let n1 = SharedNames::new();
        let a = resolver(vec![("n1", n1.clone())]);
        let b = resolver(vec![("n1", n1.clone())]);
        n1.update(|t| t.add("c2", ip("172.18.0.3")));
        assert_eq!(a.resolve("c2", None), Known::Addrs(vec![ip("172.18.0.3")]));
        assert_eq!(b.resolve("C2", None), Known::Addrs(vec![ip("172.18.0.3")]));
        n1.update(|t| t.remove("c2", ip("172.18.0.3")));
        assert_eq!(a.resolve("c2", None), Known::Unknown);
    }

    #[test]
    fn suffix_selects_one_network_and_ptr_names_it() {
        let n1 = SharedNames::new();
        let n2 = SharedNames::new();
        n1.update(|t| {
            t.add("c2", ip("172.18.0.3"));
            t.add_ptr(ip("172.18.0.3"), "c2");
        });
        n2.update(|t| t.add("c3", ip("172.19.0.2")));
        let r = resolver(vec![("n1", n1), ("n2", n2)]);
        assert_eq!(
            r.resolve("c2.n1", None),
            Known::Addrs(vec![ip("172.18.0.3")])
        );
        assert_eq!(r.resolve("c2.n2", None), Known::Unknown);
        assert_eq!(r.resolve("c3", None), Known::Addrs(vec![ip("172.19.0.2")]));
        assert_eq!(
            r.resolve("3.0.18.172.in-addr.arpa", Some(ip("172.18.0.3"))),
            Known::Ptr("c2.n1".into())
        );
        assert_eq!(r.resolve("x", Some(ip("172.18.0.99"))), Known::Unknown);
    }

    #[test]
    fn private_names_come_first() {
        let n1 = SharedNames::new();
        n1.update(|t| t.add("db", ip("172.18.0.5")));
        let mut r = resolver(vec![("n1", n1)]);
        r.private.push(("db".into(), ip("172.18.0.2")));
        assert_eq!(r.resolve("DB", None), Known::Addrs(vec![ip("172.18.0.2")]));
    }
}
