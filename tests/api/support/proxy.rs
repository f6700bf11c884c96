//! A TCP proxy the test controls, to simulate a database outage without touching the shared
//! server: `cut()` drops every connection and refuses new ones; `restore()` lets them in again;
//! `stall()` keeps connections open but passes no bytes (a link that hangs), `resume()` lets
//! them flow again.

use std::{
    io,
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    thread,
};

pub struct TcpProxy {
    pub port: u16,
    open: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

impl TcpProxy {
    pub fn start(upstream: SocketAddr) -> io::Result<TcpProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let open = Arc::new(AtomicBool::new(true));
        let stalled = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (accept_open, accept_connections, accept_stalled) =
            (open.clone(), connections.clone(), stalled.clone());
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !accept_open.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                if let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) {
                    let mut tracked = accept_connections.lock().unwrap_or_else(|p| p.into_inner());
                    tracked.push(c2);
                    tracked.push(s2);
                }
                pump(client, server, accept_stalled.clone());
            }
        });
        Ok(TcpProxy { port, open, stalled, connections })
    }

    /// The link hangs: connections stay open, no byte passes (new ones hang too).
    pub fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }

    /// Bytes flow again, those held first.
    pub fn resume(&self) {
        self.stalled.store(false, Ordering::SeqCst);
    }

    /// The outage begins: live connections break and new ones are refused.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        let mut tracked = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        for stream in tracked.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// The outage ends.
    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

fn pump(client: TcpStream, server: TcpStream, stalled: Arc<AtomicBool>) {
    let (Ok(client_read), Ok(server_read)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let other = stalled.clone();
    thread::spawn(move || copy_unless_stalled(client_read, server, &stalled));
    thread::spawn(move || copy_unless_stalled(server_read, client, &other));
}

/// Copies `from` to `to`, holding each chunk while the link is stalled.
fn copy_unless_stalled(mut from: TcpStream, mut to: TcpStream, stalled: &AtomicBool) {
    use std::io::{Read, Write};
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        while stalled.load(Ordering::SeqCst) {
            thread::sleep(std::time::Duration::from_millis(10));
        }
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
}
