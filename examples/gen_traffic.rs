//! Writes a synthetic capture (the generator of `tests/live.rs`) for the live benches:
//! `cargo run --release --example gen_traffic -- OUT.pcap CONNECTIONS PER_SECOND [SEED]`.

#[path = "../tests/common/traffic.rs"]
mod traffic;

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: gen_traffic OUT.pcap CONNECTIONS PER_SECOND [SEED]");
        std::process::exit(2);
    }
    let n: u32 = args[2].parse().expect("CONNECTIONS");
    let rate: u32 = args[3].parse().expect("PER_SECOND");
    let seed: u64 = args.get(4).map_or(7, |s| s.parse().expect("SEED"));
    let file = std::fs::File::create(&args[1]).expect("creating the capture");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let packets = traffic::write_capture(&mut w, n, rate, seed);
    w.flush().expect("writing the capture");
    eprintln!("{}: {packets} packets, {n} connections", args[1]);
}
