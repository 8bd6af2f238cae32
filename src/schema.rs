//! The one encoding of the NSL-KDD / KDD Cup 99 record layout.
//!
//! Every other module asks this one for column names, types, ranges and the attack-to-category map;
//! nothing else spells them out.
//!
//! A record is the 41 features of the KDD Cup 99 connection records, in file order, then the `label`
//! (`normal` or an attack name; KDD Cup 99 files end it with a `.`, which the loader removes), then, in
//! NSL-KDD files only, the `difficulty` level (0-21: how many of 21 reference learners classified the
//! record right). The loader adds a derived `category` column from [`category_of`].

use std::fmt;

/// What values a column holds, and so how it is parsed, validated and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A symbolic value (`tcp`, `http`, `SF`), stored as a string column.
    Categorical,
    /// A non-negative whole number (a count, a byte size, seconds), stored as `Int64`.
    Count,
    /// A 0/1 indicator, stored as `Int64`.
    Binary,
    /// A fraction in `[0, 1]`, stored as `Float64`.
    Rate,
}

impl Kind {
    /// Whether the column is numeric (described with numeric statistics).
    pub fn is_numeric(self) -> bool {
        !matches!(self, Kind::Categorical)
    }

    /// Whether the column is stored as `Int64` (as pandas reads it).
    pub fn is_integer(self) -> bool {
        matches!(self, Kind::Count | Kind::Binary)
    }
}

/// One of the 41 features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    /// The column name, as in the KDD Cup 99 documentation and pandas notebooks.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
}

impl Feature {
    /// The unit of a numeric feature's values, for axis titles (empty for categorical ones).
    pub fn unit(&self) -> &'static str {
        match (self.kind, self.name) {
            (Kind::Categorical, _) => "",
            (Kind::Binary, _) => "0 or 1",
            (Kind::Rate, _) => "share of connections",
            (_, "duration") => "seconds",
            (_, "src_bytes" | "dst_bytes") => "bytes",
            (_, "wrong_fragment") => "fragments",
            (_, "urgent") => "urgent packets",
            (_, "count" | "srv_count") => "connections in the last 2 s",
            (_, "dst_host_count" | "dst_host_srv_count") => "of the last 100 connections",
            (_, "num_failed_logins" | "su_attempted") => "attempts",
            (_, "num_outbound_cmds") => "commands",
            (_, "num_shells") => "shell prompts",
            (_, "num_root") => "root accesses",
            (_, "num_file_creations" | "num_access_files") => "file operations",
            (_, "num_compromised") => "compromised conditions",
            (_, "hot") => "hot indicators",
            _ => "count",
        }
    }
}

const fn f(name: &'static str, kind: Kind) -> Feature {
    Feature { name, kind }
}

use Kind::{Binary, Categorical, Count, Rate};

/// The 41 features in file order.
pub const FEATURES: [Feature; 41] = [
    // Basic features of individual TCP connections.
    f("duration", Count),
    f("protocol_type", Categorical),
    f("service", Categorical),
    f("flag", Categorical),
    f("src_bytes", Count),
    f("dst_bytes", Count),
    f("land", Binary),
    f("wrong_fragment", Count),
    f("urgent", Count),
    // Content features within a connection.
    f("hot", Count),
    f("num_failed_logins", Count),
    f("logged_in", Binary),
    f("num_compromised", Count),
    f("root_shell", Binary),
    f("su_attempted", Count),
    f("num_root", Count),
    f("num_file_creations", Count),
    f("num_shells", Count),
    f("num_access_files", Count),
    f("num_outbound_cmds", Count),
    f("is_host_login", Binary),
    f("is_guest_login", Binary),
    // Time-based traffic features (previous two seconds).
    f("count", Count),
    f("srv_count", Count),
    f("serror_rate", Rate),
    f("srv_serror_rate", Rate),
    f("rerror_rate", Rate),
    f("srv_rerror_rate", Rate),
    f("same_srv_rate", Rate),
    f("diff_srv_rate", Rate),
    f("srv_diff_host_rate", Rate),
    // Host-based traffic features (previous 100 connections to the same host).
    f("dst_host_count", Count),
    f("dst_host_srv_count", Count),
    f("dst_host_same_srv_rate", Rate),
    f("dst_host_diff_srv_rate", Rate),
    f("dst_host_same_src_port_rate", Rate),
    f("dst_host_srv_diff_host_rate", Rate),
    f("dst_host_serror_rate", Rate),
    f("dst_host_srv_serror_rate", Rate),
    f("dst_host_rerror_rate", Rate),
    f("dst_host_srv_rerror_rate", Rate),
];

/// Number of features in a record.
pub const N_FEATURES: usize = FEATURES.len();

/// Name of the label column (field 42).
pub const LABEL: &str = "label";
/// Name of the difficulty column (field 43, NSL-KDD only).
pub const DIFFICULTY: &str = "difficulty";
/// Name of the derived attack-category column.
pub const CATEGORY: &str = "category";
/// Largest difficulty level: the number of reference learners.
pub const MAX_DIFFICULTY: i64 = 21;

/// Fields per line of an NSL-KDD file (features, label, difficulty).
pub const FIELDS_WITH_DIFFICULTY: usize = N_FEATURES + 2;
/// Fields per line of a KDD Cup 99 file, or an NSL-KDD file without difficulty.
pub const FIELDS_WITHOUT_DIFFICULTY: usize = N_FEATURES + 1;
/// Fields per line of unlabelled records (the features alone).
pub const FIELDS_WITHOUT_LABEL: usize = N_FEATURES;
/// The label of records whose class is not known (unlabelled files, rebuilt connections): its
/// category is `unknown`, and it raises no warning.
pub const UNKNOWN_LABEL: &str = "unknown";

/// The name of the field at a 0-based position of a line: a feature, then `label`, then
/// `difficulty`; `(extra field)` past those.
pub fn field_name(position: usize) -> &'static str {
    match position {
        p if p < N_FEATURES => FEATURES[p].name,
        p if p == N_FEATURES => LABEL,
        p if p == N_FEATURES + 1 => DIFFICULTY,
        _ => "(extra field)",
    }
}

/// The features that are numeric, in file order.
pub fn numeric_features() -> impl Iterator<Item = &'static Feature> {
    FEATURES.iter().filter(|f| f.kind.is_numeric())
}

/// The features that are categorical, in file order.
pub fn categorical_features() -> impl Iterator<Item = &'static Feature> {
    FEATURES.iter().filter(|f| !f.kind.is_numeric())
}

/// The feature with this name, if any.
pub fn feature(name: &str) -> Option<&'static Feature> {
    FEATURES.iter().find(|f| f.name == name)
}

/// The attack category of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Normal traffic.
    Normal,
    /// Denial of service.
    DoS,
    /// Surveillance and probing.
    Probe,
    /// Remote to local: unauthorised access from a remote machine.
    R2L,
    /// User to root: unauthorised access to super-user privileges.
    U2R,
    /// A label the map does not know.
    Unknown,
}

impl Category {
    /// All categories, in the order reports list them.
    pub const ALL: [Category; 6] = [
        Category::Normal,
        Category::DoS,
        Category::Probe,
        Category::R2L,
        Category::U2R,
        Category::Unknown,
    ];

    /// The name used in files, output and the `category` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Normal => "normal",
            Category::DoS => "DoS",
            Category::Probe => "Probe",
            Category::R2L => "R2L",
            Category::U2R => "U2R",
            Category::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The attack-to-category map of NSL-KDD and KDD Cup 99 (training and test attacks).
pub const ATTACKS: &[(&str, Category)] = &[
    ("normal", Category::Normal),
    ("back", Category::DoS),
    ("land", Category::DoS),
    ("neptune", Category::DoS),
    ("pod", Category::DoS),
    ("smurf", Category::DoS),
    ("teardrop", Category::DoS),
    ("apache2", Category::DoS),
    ("mailbomb", Category::DoS),
    ("processtable", Category::DoS),
    ("udpstorm", Category::DoS),
    ("ipsweep", Category::Probe),
    ("nmap", Category::Probe),
    ("portsweep", Category::Probe),
    ("satan", Category::Probe),
    ("mscan", Category::Probe),
    ("saint", Category::Probe),
    ("ftp_write", Category::R2L),
    ("guess_passwd", Category::R2L),
    ("imap", Category::R2L),
    ("multihop", Category::R2L),
    ("phf", Category::R2L),
    ("spy", Category::R2L),
    ("warezclient", Category::R2L),
    ("warezmaster", Category::R2L),
    ("named", Category::R2L),
    ("sendmail", Category::R2L),
    ("snmpgetattack", Category::R2L),
    ("snmpguess", Category::R2L),
    ("worm", Category::R2L),
    ("xlock", Category::R2L),
    ("xsnoop", Category::R2L),
    ("buffer_overflow", Category::U2R),
    ("loadmodule", Category::U2R),
    ("perl", Category::U2R),
    ("rootkit", Category::U2R),
    ("httptunnel", Category::U2R),
    ("ps", Category::U2R),
    ("sqlattack", Category::U2R),
    ("xterm", Category::U2R),
];

/// The category of a label (without a trailing dot); [`Category::Unknown`] for a label not in [`ATTACKS`].
pub fn category_of(label: &str) -> Category {
    ATTACKS
        .iter()
        .find(|(name, _)| *name == label)
        .map_or(Category::Unknown, |&(_, c)| c)
}

/// The services of the KDD data by well-known port, for rebuilding records from packets:
/// `(service, tcp, port)` (`tcp` false for UDP). `X11` covers 6000-6063 (see [`service_of`]).
pub const SERVICE_PORTS: &[(&str, bool, u16)] = &[
    ("remote_job", true, 5),
    ("echo", true, 7),
    ("discard", true, 9),
    ("systat", true, 11),
    ("daytime", true, 13),
    ("netstat", true, 15),
    ("ftp_data", true, 20),
    ("ftp", true, 21),
    ("ssh", true, 22),
    ("telnet", true, 23),
    ("smtp", true, 25),
    ("time", true, 37),
    ("name", true, 42),
    ("whois", true, 43),
    ("domain", true, 53),
    ("domain_u", false, 53),
    ("mtp", true, 57),
    ("tftp_u", false, 69),
    ("gopher", true, 70),
    ("rje", true, 77),
    ("finger", true, 79),
    ("http", true, 80),
    ("ctf", true, 84),
    ("link", true, 87),
    ("supdup", true, 95),
    ("hostnames", true, 101),
    ("iso_tsap", true, 102),
    ("csnet_ns", true, 105),
    ("pop_2", true, 109),
    ("pop_3", true, 110),
    ("sunrpc", true, 111),
    ("sunrpc", false, 111),
    ("auth", true, 113),
    ("uucp_path", true, 117),
    ("nntp", true, 119),
    ("ntp_u", false, 123),
    ("netbios_ns", false, 137),
    ("netbios_ns", true, 137),
    ("netbios_dgm", false, 138),
    ("netbios_ssn", true, 139),
    ("imap4", true, 143),
    ("sql_net", true, 150),
    ("vmnet", true, 175),
    ("bgp", true, 179),
    ("IRC", true, 194),
    ("Z39_50", true, 210),
    ("ldap", true, 389),
    ("nnsp", true, 433),
    ("http_443", true, 443),
    ("exec", true, 512),
    ("login", true, 513),
    ("shell", true, 514),
    ("printer", true, 515),
    ("efs", true, 520),
    ("courier", true, 530),
    ("uucp", true, 540),
    ("klogin", true, 543),
    ("kshell", true, 544),
    ("http_2784", true, 2784),
    ("aol", true, 5190),
    ("IRC", true, 6667),
    ("http_8001", true, 8001),
];

/// The KDD service of a TCP or UDP destination port: the port table, `X11` for 6000-6063, then
/// `private` for the other ports below 1024 and `other` above (in the KDD data `private` is where
/// floods and scans of privileged ports land, SNMP's 161 included).
pub fn service_of(tcp: bool, port: u16) -> &'static str {
    if let Some((name, _, _)) = SERVICE_PORTS
        .iter()
        .find(|(_, t, p)| *t == tcp && *p == port)
    {
        return name;
    }
    match port {
        6000..=6063 if tcp => "X11",
        0..=1023 => "private",
        _ => "other",
    }
}

/// The KDD service of an ICMP (or ICMPv6) message: echo request `eco_i`, echo reply `ecr_i`,
/// port unreachable `urp_i`, other unreachable `urh_i`, redirect `red_i`, timestamp `tim_i`,
/// anything else `oth_i`.
pub fn icmp_service(v6: bool, kind: u8, code: u8) -> &'static str {
    match (v6, kind, code) {
        (false, 8, _) | (true, 128, _) => "eco_i",
        (false, 0, _) | (true, 129, _) => "ecr_i",
        (false, 3, 3) | (true, 1, 4) => "urp_i",
        (false, 3, _) | (true, 1, _) => "urh_i",
        (false, 5, _) | (true, 137, _) => "red_i",
        (false, 13 | 14, _) => "tim_i",
        _ => "oth_i",
    }
}

/// The connection flags of the KDD data (Zeek's connection states).
pub const FLAGS: [&str; 11] = [
    "SF", "S0", "S1", "S2", "S3", "REJ", "RSTO", "RSTR", "RSTOS0", "SH", "OTH",
];

/// Flags counted as "SYN errors" by the `serror` rates. As the KDD Cup 99 data decides: in its
/// windows of one connection, `serror_rate` is 1.00 for S0-S3 and for SH (104 of 104 records).
pub const SYN_ERROR_FLAGS: [&str; 5] = ["S0", "S1", "S2", "S3", "SH"];
/// Flags counted as "REJ errors" by the `rerror` rates. As the data decides: in its windows of one
/// connection, `rerror_rate` is 1.00 for REJ and for RSTO (63 of 63), RSTR (676) and RSTOS0 (1).
pub const REJECT_FLAGS: [&str; 4] = ["REJ", "RSTO", "RSTR", "RSTOS0"];

/// How a header name compares with the schema's: exact, or one of the known misspellings (the copy of
/// the KDD Cup 99 10% file on Kaggle prefixes eight names with an `l`), or unrelated.
pub fn header_name_matches(found: &str, expected: &str) -> bool {
    let found = found.trim().trim_matches('"').to_ascii_lowercase();
    found == expected || found.strip_prefix('l') == Some(expected)
}

/// The known name nearest to `name` (by Jaro-Winkler similarity, at least 0.8), for "did you
/// mean" hints.
pub fn nearest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .filter(|(s, _)| *s >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// The names a header's label column may carry.
pub const LABEL_HEADER_NAMES: &[&str] = &[
    "label",
    "labels",
    "class",
    "attack",
    "attack_type",
    "target",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_of_kinds() {
        assert_eq!(FEATURES.len(), 41);
        assert_eq!(numeric_features().count(), 38);
        assert_eq!(categorical_features().count(), 3);
        assert_eq!(FEATURES.iter().filter(|f| f.kind == Kind::Rate).count(), 15);
        assert!(
            FEATURES
                .iter()
                .all(|f| f.name.ends_with("_rate") == (f.kind == Kind::Rate))
        );
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in FEATURES.iter().enumerate() {
            assert!(
                FEATURES[i + 1..].iter().all(|b| b.name != a.name),
                "{}",
                a.name
            );
            assert_ne!(a.name, LABEL);
        }
    }

    #[test]
    fn map_sizes_and_lookups() {
        let n = |c| ATTACKS.iter().filter(|(_, k)| *k == c).count();
        assert_eq!(n(Category::DoS), 10);
        assert_eq!(n(Category::Probe), 6);
        assert_eq!(n(Category::R2L), 15);
        assert_eq!(n(Category::U2R), 8);
        assert_eq!(category_of("neptune"), Category::DoS);
        assert_eq!(category_of("normal"), Category::Normal);
        assert_eq!(category_of("mscan"), Category::Probe);
        assert_eq!(category_of("nonsense"), Category::Unknown);
    }

    #[test]
    fn services_of_ports() {
        assert_eq!(service_of(true, 80), "http");
        assert_eq!(service_of(false, 53), "domain_u");
        assert_eq!(service_of(true, 53), "domain");
        assert_eq!(service_of(true, 6005), "X11");
        assert_eq!(service_of(false, 161), "private");
        assert_eq!(service_of(true, 40000), "other");
        assert_eq!(icmp_service(false, 8, 0), "eco_i");
        assert_eq!(icmp_service(true, 129, 0), "ecr_i");
        assert_eq!(icmp_service(false, 3, 1), "urh_i");
    }

    #[test]
    fn misspelled_header_names() {
        assert!(header_name_matches("lnum_compromised", "num_compromised"));
        assert!(header_name_matches(" Duration ", "duration"));
        assert!(!header_name_matches("bytes", "src_bytes"));
    }
}
