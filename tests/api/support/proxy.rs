//! A TCP proxy the test controls, to simulate a database outage without touching the shared
//! server: `cut()` drops every connection and refuses new ones; `restore()` lets them in again.

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
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

impl TcpProxy {
    pub fn start(upstream: SocketAddr) -> io::Result<TcpProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let open = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (accept_open, accept_connections) = (open.clone(), connections.clone());
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
                pump(client, server);
            }
        });
        Ok(TcpProxy { port, open, connections })
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

fn pump(client: TcpStream, server: TcpStream) {
    let (Ok(mut client_read), Ok(mut server_read)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let (mut client_write, mut server_write) = (client, server);
    thread::spawn(move || {
        let _ = io::copy(&mut client_read, &mut server_write);
        let _ = server_write.shutdown(Shutdown::Both);
    });
    thread::spawn(move || {
        let _ = io::copy(&mut server_read, &mut client_write);
        let _ = client_write.shutdown(Shutdown::Both);
    });
}
