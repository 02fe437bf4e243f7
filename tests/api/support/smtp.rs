//! A real SMTP server for the tests (mailin-embedded, over TCP on a free port): what arrives is
//! handed to the test through a channel.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin_embedded::response::OK;
use mailin_embedded::{Handler, Response, Server, SslConfig};

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Clone)]
struct Collect {
    tx: Arc<Mutex<Sender<Received>>>,
    current: Option<Received>,
}

impl Handler for Collect {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_string(),
            to: to.to_vec(),
            data: Vec::new(),
        });
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(c) = &mut self.current {
            c.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(c) = self.current.take() {
            let _ = self.tx.lock().unwrap().send(c);
        }
        OK
    }

    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        OK
    }
}

pub struct SmtpServer {
    pub addr: SocketAddr,
    rx: Receiver<Received>,
}

impl SmtpServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = channel();
        let handler = Collect {
            tx: Arc::new(Mutex::new(tx)),
            current: None,
        };
        let mut server = Server::new(handler);
        server
            .with_name("smtp.test")
            .with_ssl(SslConfig::None)
            .unwrap()
            .with_num_threads(2)
            .with_tcp_listener(listener);
        // The server thread lives until the test process ends.
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { addr, rx }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Waits for the next message (blocking on the channel, bounded).
    pub fn next_message(&self) -> Received {
        self.rx
            .recv_timeout(Duration::from_secs(30))
            .expect("a message reaches the SMTP server")
    }
}
