//! Which process made a call to the edge (Linux): the TCP connection's client end is the
//! peer address the edge sees; `/proc/net/tcp` (and `tcp6`) give its socket inode, and the
//! process holding `socket:[inode]` among its fds is the caller.

use std::net::{IpAddr, SocketAddr};

/// `/proc/net/tcp`'s `address:port` for `addr` (IPv4: the 32-bit address in host byte order
/// printed as hex; IPv6: four such words).
pub fn proc_net_address(addr: &SocketAddr) -> String {
    let port = addr.port();
    match addr.ip() {
        IpAddr::V4(ip) => format!("{:08X}:{port:04X}", u32::from_ne_bytes(ip.octets())),
        IpAddr::V6(ip) => {
            let octets = ip.octets();
            let words: String = octets
                .chunks(4)
                .map(|c| format!("{:08X}", u32::from_ne_bytes([c[0], c[1], c[2], c[3]])))
                .collect();
            format!("{words}:{port:04X}")
        }
    }
}

/// The socket inode whose local end is `local` in a `/proc/net/tcp*` table.
pub fn inode_in_table(table: &str, local: &str) -> Option<u64> {
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(1).copied() == Some(local) {
            fields
                .get(9)
                .and_then(|i| i.parse().ok())
                .filter(|i| *i != 0)
        } else {
            None
        }
    })
}

/// The socket inode of the connection whose client end is `peer`.
pub fn socket_inode(peer: &SocketAddr) -> Option<u64> {
    let mut candidates = vec![(proc_net_address(peer), "/proc/net/tcp")];
    if let IpAddr::V4(ip) = peer.ip() {
        // A dual-stack socket shows an IPv4 peer as ::ffff:a.b.c.d.
        let mapped = SocketAddr::new(IpAddr::V6(ip.to_ipv6_mapped()), peer.port());
        candidates.push((proc_net_address(&mapped), "/proc/net/tcp6"));
    } else {
        candidates[0].1 = "/proc/net/tcp6";
    }
    candidates.into_iter().find_map(|(address, table)| {
        let text = std::fs::read_to_string(table).ok()?;
        inode_in_table(&text, &address)
    })
}

/// Which of `pids` holds the socket `inode`.
pub fn holder(inode: u64, pids: &[u32]) -> Option<u32> {
    let link = format!("socket:[{inode}]");
    pids.iter().copied().find(|pid| {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            return false;
        };
        fds.flatten().any(|fd| {
            std::fs::read_link(fd.path()).is_ok_and(|target| target.as_os_str() == link.as_str())
        })
    })
}

/// The process among `pids` whose connection to the edge has `peer` as its client end.
pub fn caller(peer: &SocketAddr, pids: &[u32]) -> Option<u32> {
    if pids.is_empty() {
        return None;
    }
    holder(socket_inode(peer)?, pids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_written_as_proc_net_tcp_does() {
        let v4: SocketAddr = "127.0.0.1:4566".parse().unwrap();
        if cfg!(target_endian = "little") {
            assert_eq!(proc_net_address(&v4), "0100007F:11D6");
        }
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:11D6 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 98765 1 0000000000000000 20 4 30 10 -1\n";
        assert_eq!(inode_in_table(table, "0100007F:11D6"), Some(98765));
        assert_eq!(inode_in_table(table, "0100007F:D431"), None);
    }

    #[tokio::test]
    async fn finds_the_process_that_holds_a_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_server_side, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        let me = std::process::id();
        assert_eq!(caller(&peer, &[me]), Some(me));
        assert_eq!(caller(&peer, &[]), None);
    }
}
