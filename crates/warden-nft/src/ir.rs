//! A small model of the nftables objects warden emits, rendered two ways:
//! the libnftables JSON schema (`nft -j -f`) and the nft text syntax
//! (`nft -f`). One model, two printers, so the two forms cannot drift.

/// A minimal JSON writer for the fixed shapes of the libnftables schema.
struct Json(String);

impl Json {
    fn raw(&mut self, s: &str) {
        self.0.push_str(s);
    }
    /// A JSON string with RFC 8259 escaping.
    fn str(&mut self, s: &str) {
        self.0.push('"');
        if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            self.0.push_str(s);
        } else {
            for c in s.chars() {
                match c {
                    '"' => self.0.push_str("\\\""),
                    '\\' => self.0.push_str("\\\\"),
                    c if (c as u32) < 0x20 => {
                        let _ = write!(self.0, "\\u{:04x}", c as u32);
                    }
                    c => self.0.push(c),
                }
            }
        }
        self.0.push('"');
    }
    fn key(&mut self, k: &str) {
        self.str(k);
        self.0.push(':');
    }
    fn left(&mut self, l: &Left) {
        match l {
            Left::Payload(p, f) => {
                let _ = write!(
                    self.0,
                    "{{\"payload\":{{\"protocol\":\"{p}\",\"field\":\"{f}\"}}}}"
                );
            }
            Left::Meta(k) => {
                let _ = write!(self.0, "{{\"meta\":{{\"key\":\"{k}\"}}}}");
            }
            Left::CtState => self.raw("{\"ct\":{\"key\":\"state\"}}"),
            Left::Concat(parts) => {
                self.raw("{\"concat\":[");
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        self.raw(",");
                    }
                    self.left(p);
                }
                self.raw("]}");
            }
        }
    }
    fn prefix(&mut self, a: &str, len: u8, host: bool) {
        if host {
            self.str(a);
        } else {
            self.raw("{\"prefix\":{\"addr\":");
            self.str(a);
            let _ = write!(self.0, ",\"len\":{len}}}}}");
        }
    }
    fn right(&mut self, r: &Right) {
        match r {
            Right::Num(n) => {
                let _ = write!(self.0, "{n}");
            }
            Right::Str(s) => self.str(s),
            Right::Range(a, b) => {
                let _ = write!(self.0, "{{\"range\":[{a},{b}]}}");
            }
            Right::NumSet(v) => {
                self.raw("{\"set\":[");
                for (i, n) in v.iter().enumerate() {
                    let _ = write!(self.0, "{}{n}", if i > 0 { "," } else { "" });
                }
                self.raw("]}");
            }
            Right::Prefixes(v) if v.len() == 1 => {
                let (a, l, h) = &v[0];
                self.prefix(a, *l, *h);
            }
            Right::Prefixes(v) => {
                self.raw("{\"set\":[");
                for (i, (a, l, h)) in v.iter().enumerate() {
                    if i > 0 {
                        self.raw(",");
                    }
                    self.prefix(a, *l, *h);
                }
                self.raw("]}");
            }
            Right::SetRef(s) => self.str(&format!("@{s}")),
            Right::StrSet(v) => {
                self.raw("{\"set\":[");
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        self.raw(",");
                    }
                    self.str(x);
                }
                self.raw("]}");
            }
            Right::Flags(f) => {
                self.raw("[");
                for (i, x) in f.iter().enumerate() {
                    if i > 0 {
                        self.raw(",");
                    }
                    self.str(x);
                }
                self.raw("]");
            }
        }
    }
    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Match { left, op, right } => {
                let _ = write!(self.0, "{{\"match\":{{\"op\":\"{}\",\"left\":", op.json());
                self.left(left);
                self.raw(",\"right\":");
                self.right(right);
                self.raw("}}");
            }
            Expr::Vmap { key, map } => {
                self.raw("{\"vmap\":{\"key\":");
                self.left(key);
                self.raw(",\"data\":");
                self.str(&format!("@{map}"));
                self.raw("}}");
            }
            Expr::Counter => self.raw("{\"counter\":null}"),
            Expr::Log { prefix, group } => {
                self.raw("{\"log\":{\"prefix\":");
                self.str(&sanitize(prefix));
                let _ = write!(self.0, ",\"group\":{group}}}}}");
            }
            Expr::Accept => self.raw("{\"accept\":null}"),
            Expr::Drop => self.raw("{\"drop\":null}"),
            Expr::Reject => self.raw("{\"reject\":null}"),
            Expr::Return => self.raw("{\"return\":null}"),
            Expr::TcpSyn { opening } => {
                let op = if *opening { "==" } else { "!=" };
                let _ = write!(
                    self.0,
                    "{{\"match\":{{\"op\":\"{op}\",\"left\":{{\"&\":[{{\"payload\":{{\"protocol\":\"tcp\",\"field\":\"flags\"}}}},[\"syn\",\"ack\"]]}},\"right\":\"syn\"}}}}"
                );
            }
            Expr::SetAdd { set, key } => {
                self.raw("{\"set\":{\"op\":\"add\",\"elem\":");
                self.left(key);
                self.raw(",\"set\":");
                self.str(&format!("@{set}"));
                self.raw("}}");
            }
        }
    }
}
use std::fmt::Write;

/// The commands that turn `old` into `new` table by table (matched by
/// family and name), each preceded by a comma; None when any table's
/// skeleton changed or the tables differ.
pub(crate) fn delta_commands(old: &[&Table], new: &[&Table]) -> Option<String> {
    if old.len() != new.len() {
        return None;
    }
    let mut w = Json(String::new());
    for (o, n) in old.iter().zip(new) {
        n.write_delta(o, &mut w)?;
    }
    Some(w.0)
}

/// One `nft -j -f` transaction that replaces every table given, atomically.
pub(crate) fn transaction_json(tables: &[&Table]) -> String {
    let rules: usize = tables
        .iter()
        .flat_map(|t| &t.chains)
        .map(|c| c.rules.len())
        .sum();
    let mut w = Json(String::with_capacity(512 + rules * 256));
    w.raw("{\"nftables\":[{\"metainfo\":{\"json_schema_version\":1}}");
    for t in tables {
        t.write_json(&mut w);
    }
    w.raw("]}");
    w.0
}

#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// `inet` (routed traffic and traffic to the gateway) or `bridge`
    /// (frames between two ports of the LAN bridge).
    pub family: &'static str,
    pub name: String,
    pub maps: Vec<Map>,
    pub sets: Vec<Set>,
    pub chains: Vec<Chain>,
}

/// A named set. Every set has `flags timeout`; a dynamic one is also
/// written from the packet path (`add @set { ... }`), with a default
/// timeout and a size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Set {
    pub name: String,
    /// The element type; more than one is a concatenation.
    pub ty: Vec<&'static str>,
    /// (default timeout in seconds, size) for a set written by rules.
    pub dynamic: Option<(u32, u32)>,
}

impl Set {
    pub fn plain(name: &str, ty: &'static str) -> Set {
        Set {
            name: name.into(),
            ty: vec![ty],
            dynamic: None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Map {
    pub name: String,
    pub key_type: &'static str,
    /// (key, chain to jump to)
    pub elems: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chain {
    pub name: String,
    /// (hook) for base chains.
    pub hook: Option<&'static str>,
    pub rules: Vec<(Vec<Expr>, Option<String>)>,
}

impl Chain {
    pub fn regular(name: &str) -> Chain {
        Chain {
            name: name.into(),
            hook: None,
            rules: Vec::new(),
        }
    }
    pub fn base(name: &str, hook: &'static str) -> Chain {
        Chain {
            name: name.into(),
            hook: Some(hook),
            rules: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Le,
    Ge,
    In,
}

impl Op {
    fn json(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Le => "<=",
            Op::Ge => ">=",
            Op::In => "in",
        }
    }
    fn text(self) -> &'static str {
        match self {
            Op::Eq | Op::In => "",
            Op::Ne => "!= ",
            Op::Le => "<= ",
            Op::Ge => ">= ",
        }
    }
}

/// The left-hand side of a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Left {
    /// (protocol, field), e.g. ("tcp", "dport").
    Payload(&'static str, &'static str),
    /// meta key, e.g. "l4proto".
    Meta(&'static str),
    CtState,
    /// `a . b`: a concatenation, looked up in a set of that type.
    Concat(Vec<Left>),
}

/// The right-hand side of a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Right {
    Num(u64),
    Str(String),
    Range(u64, u64),
    NumSet(Vec<u64>),
    /// (address, prefix length, is a single host)
    Prefixes(Vec<(String, u8, bool)>),
    SetRef(String),
    Flags(Vec<&'static str>),
    /// A set of strings (interface names).
    StrSet(Vec<String>),
}

/// A statement of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Match {
        left: Left,
        op: Op,
        right: Right,
    },
    Vmap {
        key: Left,
        map: String,
    },
    Counter,
    Log {
        prefix: String,
        group: u16,
    },
    Accept,
    Drop,
    Reject,
    Return,
    /// `tcp flags & (syn | ack) == syn` (a connection opening) or, with
    /// `opening: false`, `!= syn` (anything else): the bridge family's
    /// stand-in for `ct state` where the kernel tracks no bridged connections.
    TcpSyn {
        opening: bool,
    },
    /// `add @set { key }`: the packet's key goes into a dynamic set.
    SetAdd {
        set: String,
        key: Left,
    },
}

impl Expr {
    pub(crate) fn ct_state(op: Op, states: &[&'static str]) -> Expr {
        Expr::Match {
            left: Left::CtState,
            op,
            right: Right::Flags(states.to_vec()),
        }
    }
}

fn left_text(l: &Left) -> String {
    match l {
        Left::Payload(p, f) => format!("{p} {f}"),
        Left::Meta(k) => format!("meta {k}"),
        Left::CtState => "ct state".into(),
        Left::Concat(parts) => parts.iter().map(left_text).collect::<Vec<_>>().join(" . "),
    }
}

fn right_text(r: &Right) -> String {
    let pfx = |(a, l, h): &(String, u8, bool)| if *h { a.clone() } else { format!("{a}/{l}") };
    match r {
        Right::Num(n) => n.to_string(),
        Right::Str(s) => s.clone(),
        Right::Range(a, b) => format!("{a}-{b}"),
        Right::NumSet(v) => format!(
            "{{ {} }}",
            v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        ),
        Right::Prefixes(v) if v.len() == 1 => pfx(&v[0]),
        Right::Prefixes(v) => format!("{{ {} }}", v.iter().map(pfx).collect::<Vec<_>>().join(", ")),
        Right::SetRef(s) => format!("@{s}"),
        Right::StrSet(v) => format!(
            "{{ {} }}",
            v.iter()
                .map(|x| format!("\"{}\"", sanitize(x)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Right::Flags(f) => f.join(","),
    }
}

fn expr_text(e: &Expr) -> String {
    match e {
        Expr::Match { left, op, right } => {
            format!("{} {}{}", left_text(left), op.text(), right_text(right))
        }
        Expr::Vmap { key, map } => format!("{} vmap @{map}", left_text(key)),
        Expr::Counter => "counter".into(),
        Expr::Log { prefix, group } => format!("log prefix \"{}\" group {group}", sanitize(prefix)),
        Expr::Accept => "accept".into(),
        Expr::Drop => "drop".into(),
        Expr::Reject => "reject".into(),
        Expr::Return => "return".into(),
        Expr::TcpSyn { opening } => format!(
            "tcp flags & (syn | ack) {}= syn",
            if *opening { "=" } else { "!" }
        ),
        Expr::SetAdd { set, key } => format!("add @{set} {{ {} }}", left_text(key)),
    }
}

/// Comments and log prefixes come from MUD files (hostile text): keep
/// printable ASCII without quotes or backslashes.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Table {
    /// The table's commands as libnftables JSON objects, each preceded by a
    /// comma, written directly: building a `serde_json::Value` tree first
    /// cost 10x more in allocations.
    fn write_json(&self, w: &mut Json) {
        let t = &self.name;
        let head =
            |w: &mut Json, verb: &str, kind: &str, name: &str| self.head(w, verb, kind, name);
        // add + delete + add: replaces the table atomically whether or not it exists.
        for verb in ["add", "delete", "add"] {
            w.raw(",");
            head(w, verb, "table", t);
            w.raw("}}}");
        }
        for set in &self.sets {
            w.raw(",");
            head(w, "add", "set", &set.name);
            if let [ty] = set.ty.as_slice() {
                let _ = write!(w.0, ",\"type\":\"{ty}\"");
            } else {
                w.raw(",\"type\":[");
                for (i, ty) in set.ty.iter().enumerate() {
                    let _ = write!(w.0, "{}\"{ty}\"", if i > 0 { "," } else { "" });
                }
                w.raw("]");
            }
            match set.dynamic {
                Some((timeout, size)) => {
                    let _ = write!(
                        w.0,
                        // nft marks the set dynamic itself from the rule
                        // that writes it (1.0.6's JSON knows no such flag).
                        ",\"flags\":[\"timeout\"],\"timeout\":{timeout},\"size\":{size}}}}}}}"
                    );
                }
                None => w.raw(",\"flags\":[\"timeout\"]}}}"),
            }
        }
        let chain = |w: &mut Json, c: &Chain| {
            w.raw(",");
            head(w, "add", "chain", &c.name);
            if let Some(h) = c.hook {
                let _ = write!(
                    w.0,
                    ",\"type\":\"filter\",\"hook\":\"{h}\",\"prio\":0,\"policy\":\"accept\""
                );
            }
            w.raw("}}}");
        };
        // Order matters: map elements jump to regular chains, and base
        // chains look into the maps.
        for c in self.chains.iter().filter(|c| c.hook.is_none()) {
            chain(w, c);
        }
        for m in &self.maps {
            w.raw(",");
            head(w, "add", "map", &m.name);
            let _ = write!(w.0, ",\"type\":\"{}\",\"map\":\"verdict\"", m.key_type);
            if !m.elems.is_empty() {
                w.raw(",\"elem\":[");
                for (i, (k, c)) in m.elems.iter().enumerate() {
                    if i > 0 {
                        w.raw(",");
                    }
                    w.raw("[");
                    w.str(k);
                    w.raw(",{\"jump\":{\"target\":");
                    w.str(c);
                    w.raw("}}]");
                }
                w.raw("]");
            }
            w.raw("}}}");
        }
        for c in self.chains.iter().filter(|c| c.hook.is_some()) {
            chain(w, c);
        }
        for c in &self.chains {
            for rule in &c.rules {
                self.write_rule(w, &c.name, rule);
            }
        }
    }

    /// `,{"add":{"rule":...}}` for one rule of chain `chain`.
    fn write_rule(
        &self,
        w: &mut Json,
        chain: &str,
        (exprs, comment): &(Vec<Expr>, Option<String>),
    ) {
        let family = self.family;
        let _ = write!(
            w.0,
            ",{{\"add\":{{\"rule\":{{\"family\":\"{family}\",\"table\":"
        );
        w.str(&self.name);
        w.raw(",\"chain\":");
        w.str(chain);
        if let Some(cm) = comment {
            w.raw(",\"comment\":");
            w.str(&sanitize(cm));
        }
        w.raw(",\"expr\":[");
        for (i, e) in exprs.iter().enumerate() {
            if i > 0 {
                w.raw(",");
            }
            w.expr(e);
        }
        w.raw("]}}}");
    }

    /// `,{"VERB":{"KIND":{"family":..,"table":..,"name":..}}}` for a chain.
    fn write_chain_cmd(&self, w: &mut Json, verb: &str, name: &str) {
        w.raw(",");
        self.head(w, verb, "chain", name);
        w.raw("}}}");
    }

    /// `{"VERB":{"KIND":{"family":..,["table":..,]"name":NAME` (left open).
    fn head(&self, w: &mut Json, verb: &str, kind: &str, name: &str) {
        let _ = write!(
            w.0,
            "{{\"{verb}\":{{\"{kind}\":{{\"family\":\"{}\",",
            self.family
        );
        if kind != "table" {
            w.key("table");
            w.str(&self.name);
            w.raw(",");
        }
        w.key("name");
        w.str(name);
    }

    /// `,{"VERB":{"element":{...,"name":MAP,"elem":[...]}}}`: one map element
    /// (with its verdict when added).
    fn write_elem_cmd(&self, w: &mut Json, verb: &str, map: &str, key: &str, target: Option<&str>) {
        w.raw(",");
        self.head(w, verb, "element", map);
        w.raw(",\"elem\":[");
        match target {
            Some(c) => {
                w.raw("[");
                w.str(key);
                w.raw(",{\"jump\":{\"target\":");
                w.str(c);
                w.raw("}}]");
            }
            None => w.str(key),
        }
        w.raw("]}}}");
    }

    /// Everything but the device chains and the maps' elements: when this
    /// differs between two rulesets, only a whole replacement will do.
    fn skeleton_eq(&self, o: &Table) -> bool {
        self.family == o.family
            && self.name == o.name
            && self.sets == o.sets
            && self.maps.len() == o.maps.len()
            && self
                .maps
                .iter()
                .zip(&o.maps)
                .all(|(a, b)| a.name == b.name && a.key_type == b.key_type)
            && self
                .chains
                .iter()
                .filter(|c| c.hook.is_some())
                .eq(o.chains.iter().filter(|c| c.hook.is_some()))
    }

    /// The commands (each preceded by a comma) that turn `old` into `self`
    /// in place, keeping the sets and their addresses: map elements that go
    /// or change are deleted first (so no chain is still referenced), then
    /// chains that go are flushed and deleted and changed ones flushed,
    /// then new chains and the rules of new or changed ones are added, then
    /// the new elements. None when the skeletons differ.
    fn write_delta(&self, old: &Table, w: &mut Json) -> Option<()> {
        if !self.skeleton_eq(old) {
            return None;
        }
        use std::collections::BTreeMap;
        let elems = |t: &Table| -> BTreeMap<(String, String), String> {
            t.maps
                .iter()
                .flat_map(|m| {
                    m.elems
                        .iter()
                        .map(move |(k, c)| ((m.name.clone(), k.clone()), c.clone()))
                })
                .collect()
        };
        let chains = |t: &Table| -> BTreeMap<String, usize> {
            t.chains
                .iter()
                .enumerate()
                .filter(|(_, c)| c.hook.is_none())
                .map(|(i, c)| (c.name.clone(), i))
                .collect()
        };
        let (oe, ne) = (elems(old), elems(self));
        let (oc, nc) = (chains(old), chains(self));
        for ((map, key), target) in &oe {
            if ne.get(&(map.clone(), key.clone())) != Some(target) {
                self.write_elem_cmd(w, "delete", map, key, None);
            }
        }
        for (name, &i) in &oc {
            match nc.get(name) {
                None => {
                    self.write_chain_cmd(w, "flush", name);
                    self.write_chain_cmd(w, "delete", name);
                }
                Some(&j) if old.chains[i].rules != self.chains[j].rules => {
                    self.write_chain_cmd(w, "flush", name);
                }
                _ => {}
            }
        }
        for (name, &j) in &nc {
            let before = oc.get(name).map(|&i| &old.chains[i].rules);
            if before.is_none() {
                self.write_chain_cmd(w, "add", name);
            }
            if before != Some(&self.chains[j].rules) {
                for rule in &self.chains[j].rules {
                    self.write_rule(w, name, rule);
                }
            }
        }
        for ((map, key), target) in &ne {
            if oe.get(&(map.clone(), key.clone())) != Some(target) {
                self.write_elem_cmd(w, "add", map, key, Some(target));
            }
        }
        Some(())
    }

    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let t = &self.name;
        let _ = writeln!(
            s,
            "# generated by warden; replaces the table atomically (nft -f)"
        );
        let f = self.family;
        let _ = writeln!(s, "table {f} {t}");
        let _ = writeln!(s, "delete table {f} {t}");
        let _ = writeln!(s, "table {f} {t} {{");
        for set in &self.sets {
            let _ = writeln!(s, "\tset {} {{\n\t\ttype {}", set.name, set.ty.join(" . "));
            match set.dynamic {
                Some((timeout, size)) => {
                    let _ = writeln!(
                        s,
                        "\t\tflags dynamic,timeout\n\t\ttimeout {timeout}s\n\t\tsize {size}"
                    );
                }
                None => {
                    let _ = writeln!(s, "\t\tflags timeout");
                }
            }
            let _ = writeln!(s, "\t}}");
        }
        let chain_text = |s: &mut String, c: &Chain| {
            let _ = writeln!(s, "\tchain {} {{", c.name);
            if let Some(h) = c.hook {
                let _ = writeln!(
                    s,
                    "\t\ttype filter hook {h} priority filter; policy accept;"
                );
            }
            for (exprs, comment) in &c.rules {
                let body: Vec<String> = exprs.iter().map(expr_text).collect();
                let _ = write!(s, "\t\t{}", body.join(" "));
                if let Some(cm) = comment {
                    let _ = write!(s, " comment \"{}\"", sanitize(cm));
                }
                let _ = writeln!(s);
            }
            let _ = writeln!(s, "\t}}");
        };
        for c in self.chains.iter().filter(|c| c.hook.is_none()) {
            chain_text(&mut s, c);
        }
        for m in &self.maps {
            let _ = write!(
                s,
                "\tmap {} {{\n\t\ttype {} : verdict\n",
                m.name, m.key_type
            );
            if !m.elems.is_empty() {
                let elems: Vec<String> = m
                    .elems
                    .iter()
                    .map(|(k, c)| format!("{k} : jump {c}"))
                    .collect();
                let _ = writeln!(s, "\t\telements = {{ {} }}", elems.join(",\n\t\t\t     "));
            }
            let _ = writeln!(s, "\t}}");
        }
        for c in self.chains.iter().filter(|c| c.hook.is_some()) {
            chain_text(&mut s, c);
        }
        let _ = writeln!(s, "}}");
        s
    }
}
