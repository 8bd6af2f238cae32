//! The one connection engine: finished connections, from whichever source saw them (the packet
//! tracker of `capture`, a Zeek `conn.log`), become KDD records by one implementation of the
//! basic and window features (`records`), released in start order as connections end
//! (`ordered`, shared by `kddstat pcap` and `kddstat live`). It depends on the schema only, so the input layer
//! (`load`, which reads Zeek logs wherever records are taken) and the capture stage both use it.

pub mod ordered;
pub mod records;
pub mod sort;
pub mod zeek;
