//! A small model of the nftables objects warden emits, rendered two ways:
//! the libnftables JSON schema (`nft -j -f`) and the nft text syntax
//! (`nft -f`). One model, two printers, so the two forms cannot drift.

use serde_json::{json, Value};
use std::fmt::Write;

pub(crate) struct Table {
    pub name: String,
    pub maps: Vec<Map>,
    /// (name, element type); every set has `flags timeout`.
    pub sets: Vec<(String, &'static str)>,
    pub chains: Vec<Chain>,
}

pub(crate) struct Map {
    pub name: String,
    pub key_type: &'static str,
    /// (key, chain to jump to)
    pub elems: Vec<(String, String)>,
}

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
}

/// A statement of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Match { left: Left, op: Op, right: Right },
    Vmap { key: Left, map: String },
    Counter,
    Log { prefix: String, group: u16 },
    Accept,
    Drop,
    Reject,
    Return,
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

fn left_json(l: &Left) -> Value {
    match l {
        Left::Payload(p, f) => json!({"payload": {"protocol": p, "field": f}}),
        Left::Meta(k) => json!({"meta": {"key": k}}),
        Left::CtState => json!({"ct": {"key": "state"}}),
    }
}

fn left_text(l: &Left) -> String {
    match l {
        Left::Payload(p, f) => format!("{p} {f}"),
        Left::Meta(k) => format!("meta {k}"),
        Left::CtState => "ct state".into(),
    }
}

fn prefix_json(a: &str, len: u8, host: bool) -> Value {
    if host {
        json!(a)
    } else {
        json!({"prefix": {"addr": a, "len": len}})
    }
}

fn right_json(r: &Right) -> Value {
    match r {
        Right::Num(n) => json!(n),
        Right::Str(s) => json!(s),
        Right::Range(a, b) => json!({"range": [a, b]}),
        Right::NumSet(v) => json!({"set": v}),
        Right::Prefixes(v) if v.len() == 1 => {
            let (a, l, h) = &v[0];
            prefix_json(a, *l, *h)
        }
        Right::Prefixes(v) => {
            json!({"set": v.iter().map(|(a, l, h)| prefix_json(a, *l, *h)).collect::<Vec<_>>()})
        }
        Right::SetRef(s) => json!(format!("@{s}")),
        Right::Flags(f) => json!(f),
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
        Right::Flags(f) => f.join(","),
    }
}

fn expr_json(e: &Expr) -> Value {
    match e {
        Expr::Match { left, op, right } => {
            json!({"match": {"op": op.json(), "left": left_json(left), "right": right_json(right)}})
        }
        Expr::Vmap { key, map } => {
            json!({"vmap": {"key": left_json(key), "data": format!("@{map}")}})
        }
        Expr::Counter => json!({"counter": null}),
        Expr::Log { prefix, group } => json!({"log": {"prefix": prefix, "group": group}}),
        Expr::Accept => json!({"accept": null}),
        Expr::Drop => json!({"drop": null}),
        Expr::Reject => json!({"reject": null}),
        Expr::Return => json!({"return": null}),
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
    pub fn to_json(&self) -> Value {
        let fam = "inet";
        let t = &self.name;
        let mut cmds = vec![json!({"metainfo": {"json_schema_version": 1}})];
        // add + delete + add: replaces the table atomically whether or not it exists.
        cmds.push(json!({"add": {"table": {"family": fam, "name": t}}}));
        cmds.push(json!({"delete": {"table": {"family": fam, "name": t}}}));
        cmds.push(json!({"add": {"table": {"family": fam, "name": t}}}));
        for (name, ty) in &self.sets {
            cmds.push(json!({"add": {"set": {"family": fam, "table": t, "name": name, "type": ty, "flags": ["timeout"]}}}));
        }
        let chain_json = |c: &Chain| {
            let mut obj = json!({"family": fam, "table": t, "name": c.name});
            if let Some(h) = c.hook {
                obj["type"] = json!("filter");
                obj["hook"] = json!(h);
                obj["prio"] = json!(0);
                obj["policy"] = json!("accept");
            }
            json!({"add": {"chain": obj}})
        };
        // Order matters: map elements jump to regular chains, and base
        // chains look into the maps.
        for c in self.chains.iter().filter(|c| c.hook.is_none()) {
            cmds.push(chain_json(c));
        }
        for m in &self.maps {
            let mut obj = json!({"family": fam, "table": t, "name": m.name, "type": m.key_type, "map": "verdict"});
            if !m.elems.is_empty() {
                obj["elem"] = Value::Array(
                    m.elems
                        .iter()
                        .map(|(k, c)| json!([k, {"jump": {"target": c}}]))
                        .collect(),
                );
            }
            cmds.push(json!({"add": {"map": obj}}));
        }
        for c in self.chains.iter().filter(|c| c.hook.is_some()) {
            cmds.push(chain_json(c));
        }
        for c in &self.chains {
            for (exprs, comment) in &c.rules {
                let mut r = json!({"family": fam, "table": t, "chain": c.name, "expr": exprs.iter().map(expr_json).collect::<Vec<_>>()});
                if let Some(cm) = comment {
                    r["comment"] = json!(sanitize(cm));
                }
                cmds.push(json!({"add": {"rule": r}}));
            }
        }
        json!({"nftables": cmds})
    }

    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let t = &self.name;
        let _ = writeln!(
            s,
            "# generated by warden; replaces the table atomically (nft -f)"
        );
        let _ = writeln!(s, "table inet {t}");
        let _ = writeln!(s, "delete table inet {t}");
        let _ = writeln!(s, "table inet {t} {{");
        for (name, ty) in &self.sets {
            let _ = writeln!(s, "\tset {name} {{\n\t\ttype {ty}\n\t\tflags timeout\n\t}}");
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
