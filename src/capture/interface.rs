//! Frames from a network interface as they arrive (Linux), through a raw packet socket
//! (`AF_PACKET`, the mechanism tcpdump's libpcap uses): no system library is needed, only root or
//! the `CAP_NET_RAW` capability.
//!
//! - The socket is bound to the interface and receives every protocol (`ETH_P_ALL`); on a
//!   loopback interface each packet passes the socket twice (sent, then received): the sent copy
//!   is skipped, as libpcap does.
//! - A frame longer than [`SNAPLEN`] is cut there (its wire length is kept).
//! - Kernel drops are the socket's `PACKET_STATISTICS` counter (packets the kernel could not queue
//!   because kddstat read too slowly), read at every status line and at the end.
//!
//! Only nix's safe wrappers are used: the socket options without one are declared through nix's
//! `sockopt_impl!`, so the crate keeps `forbid(unsafe_code)`.

use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

use nix::errno::Errno;
use nix::net::if_::InterfaceFlags;
use nix::sys::socket::{self, AddressFamily, LinkAddr, SockFlag, SockProtocol, SockType};

use crate::error::{Error, Result};

/// The longest frame kept, bytes.
pub const SNAPLEN: usize = 262_144;

/// `PACKET_OUTGOING`: a packet this host sent.
const PACKET_OUTGOING: u8 = 4;
/// `ARPHRD_NONE` (tun devices: raw IP).
const ARPHRD_NONE: u16 = 0xfffe;

/// The kernel's `struct tpacket_stats`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct TpacketStats {
    packets: u32,
    drops: u32,
}

// The macro names itself and its helpers unqualified.
use nix::{getsockopt_impl, sockopt_impl};

sockopt_impl!(
    /// `PACKET_STATISTICS`: packets and drops since it was last read.
    PacketStatistics,
    GetOnly,
    libc::SOL_PACKET,
    libc::PACKET_STATISTICS,
    TpacketStats
);

/// A capture on one interface.
#[derive(Debug)]
pub struct Interface {
    name: String,
    fd: OwnedFd,
    loopback: bool,
    buf: Vec<u8>,
    /// Frames the kernel passed to the socket (read so far), and frames it dropped.
    pub kernel: (u64, u64),
    /// Frames received from the socket (a loopback interface's sent copies included).
    pub received: u64,
}

/// What one read gave.
#[derive(Debug)]
pub enum Next<'a> {
    /// A frame: its link type, bytes and wire length.
    Frame(i32, &'a [u8], u32),
    /// Nothing within the timeout (or a frame to skip).
    Nothing,
}

fn capture_error(name: &str, message: String) -> Error {
    Error::Capture {
        path: name.to_string(),
        message,
    }
}

impl Interface {
    /// Opens a capture on the interface `name`; it must exist and be up.
    pub fn open(name: &str, timeout: Duration) -> Result<Interface> {
        let addrs: Vec<_> = nix::ifaddrs::getifaddrs()
            .map_err(|e| capture_error(name, format!("cannot list the interfaces ({e})")))?
            .collect();
        let mut names: Vec<String> = addrs.iter().map(|a| a.interface_name.clone()).collect();
        names.sort();
        names.dedup();
        let Some(link) = addrs.iter().find(|a| {
            a.interface_name == name
                && a.address
                    .as_ref()
                    .is_some_and(|s| s.as_link_addr().is_some())
        }) else {
            return Err(capture_error(
                name,
                format!(
                    "no such network interface (interfaces: {})",
                    names.join(", ")
                ),
            ));
        };
        if !link.flags.contains(InterfaceFlags::IFF_UP) {
            return Err(capture_error(
                name,
                "the interface is down (ip link set dev IFACE up)".into(),
            ));
        }
        let loopback = link.flags.contains(InterfaceFlags::IFF_LOOPBACK);
        let Some(addr) = link
            .address
            .as_ref()
            .and_then(|s| s.as_link_addr())
            .copied()
        else {
            return Err(capture_error(
                name,
                "the interface has no link address".into(),
            ));
        };
        let fd = socket::socket(
            AddressFamily::Packet,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::EthAll,
        )
        .map_err(|e| match e {
            Errno::EPERM | Errno::EACCES => capture_error(
                name,
                "capturing packets needs root or the CAP_NET_RAW capability \
                 (sudo setcap cap_net_raw+ep $(which kddstat))"
                    .into(),
            ),
            e => capture_error(name, format!("cannot open a packet socket ({e})")),
        })?;
        socket::bind(fd.as_raw_fd(), &addr)
            .map_err(|e| capture_error(name, format!("cannot bind to the interface ({e})")))?;
        let tv = nix::sys::time::TimeVal::new(
            timeout.as_secs() as libc::time_t,
            timeout.subsec_micros() as libc::suseconds_t,
        );
        socket::setsockopt(&fd, socket::sockopt::ReceiveTimeout, &tv)
            .map_err(|e| capture_error(name, format!("cannot set a read timeout ({e})")))?;
        // A large receive buffer rides out bursts (the kernel caps it at rmem_max).
        let _ = socket::setsockopt(&fd, socket::sockopt::RcvBuf, &(8 << 20));
        // Counters start now.
        let _ = socket::getsockopt(&fd, PacketStatistics);
        Ok(Interface {
            name: name.to_string(),
            fd,
            loopback,
            buf: vec![0; SNAPLEN],
            kernel: (0, 0),
            received: 0,
        })
    }

    /// Reads the next frame, waiting at most the timeout.
    pub fn read_frame(&mut self) -> Result<Next<'_>> {
        let (n, from) = match socket::recvfrom::<LinkAddr>(self.fd.as_raw_fd(), &mut self.buf) {
            Ok(v) => v,
            Err(Errno::EAGAIN | Errno::EINTR) => return Ok(Next::Nothing),
            Err(Errno::ENETDOWN) => {
                return Err(capture_error(&self.name, "the interface went down".into()));
            }
            Err(e) => return Err(capture_error(&self.name, format!("cannot read ({e})"))),
        };
        self.received += 1;
        let Some(from) = from else {
            return Ok(Next::Nothing);
        };
        if self.loopback && from.pkttype() == PACKET_OUTGOING {
            return Ok(Next::Nothing);
        }
        let link = if from.hatype() == ARPHRD_NONE { 101 } else { 1 };
        let kept = n.min(self.buf.len());
        Ok(Next::Frame(link, &self.buf[..kept], n as u32))
    }

    /// Reads the kernel's counters (frames that reached the socket, drops included, and frames
    /// dropped), adding them to [`Interface::kernel`] (the kernel resets them at each read).
    pub fn read_counters(&mut self) -> (u64, u64) {
        if let Ok(s) = socket::getsockopt(&self.fd, PacketStatistics) {
            // tp_packets counts the drops too.
            self.kernel.0 += u64::from(s.packets);
            self.kernel.1 += u64::from(s.drops);
        }
        self.kernel
    }
}
