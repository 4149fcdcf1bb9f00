//! `testserver [--http-port N] [--https-port N] [--proxy-port N] [--socks-port N] [--ignore-stdin]`
//!
//! Starts a plain and a TLS test server (the TLS one offers ALPN `h2` and `http/1.1`, so HTTP/2
//! clients get HTTP/2), an HTTP proxy (forwarding and CONNECT; it refuses the
//! host `forbidden.invalid` with 403) and a SOCKS proxy (SOCKS4/4a/5), plus a second SOCKS5
//! proxy that wants the user `user` and password `pass`; prints one JSON line with their URLs
//! and the CA file (`{"http": …, "https": …, "ca_file": …, "proxy": "http://127.0.0.1:P",
//! "socks": "socks5://127.0.0.1:P", "socks_auth": "socks5://127.0.0.1:Q"}`; the last URL has no
//! credentials in it), and serves until stdin reaches end of file (so a parent process
//! that dies takes the server with it) or SIGTERM/SIGINT. `--ignore-stdin` serves until a
//! signal only.

use std::io::Write as _;
use std::process::ExitCode;

use testserver::{
    CertProfile, HttpProxy, Options, ProxyOptions, SocksOptions, SocksProxy, TestServer,
};

const USAGE: &str = "usage: testserver [--http-port N] [--https-port N] [--proxy-port N] \
                     [--socks-port N] [--ignore-stdin]";

/// Command-line options.
struct Args {
    http_port: u16,
    https_port: u16,
    proxy_port: u16,
    socks_port: u16,
    ignore_stdin: bool,
}

/// Everything the binary runs.
struct Servers {
    http: TestServer,
    https: TestServer,
    proxy: HttpProxy,
    socks: SocksProxy,
    socks_auth: SocksProxy,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        http_port: 0,
        https_port: 0,
        proxy_port: 0,
        socks_port: 0,
        ignore_stdin: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--http-port" => args.http_port = port(it.next())?,
            "--https-port" => args.https_port = port(it.next())?,
            "--proxy-port" => args.proxy_port = port(it.next())?,
            "--socks-port" => args.socks_port = port(it.next())?,
            "--ignore-stdin" => args.ignore_stdin = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

fn port(value: Option<String>) -> Result<u16, String> {
    let value = value.ok_or("missing port number")?;
    value.parse().map_err(|_| format!("bad port {value:?}"))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let servers = match start(&args) {
        Ok(servers) => servers,
        Err(e) => {
            eprintln!("testserver: {e}");
            return ExitCode::FAILURE;
        }
    };
    announce(&servers);
    wait_for_exit(args.ignore_stdin);
    drop(servers);
    ExitCode::SUCCESS
}

fn start(args: &Args) -> std::io::Result<Servers> {
    let http = TestServer::start_with(Options {
        port: args.http_port,
        ..Options::default()
    })?;
    let https = TestServer::start_with(Options {
        port: args.https_port,
        tls: Some(CertProfile::Default),
        ..Options::default()
    })?;
    let proxy = HttpProxy::start_with(ProxyOptions {
        port: args.proxy_port,
        forbidden_hosts: vec!["forbidden.invalid".to_owned()],
        ..ProxyOptions::default()
    })?;
    let socks = SocksProxy::start_with(SocksOptions {
        port: args.socks_port,
        ..SocksOptions::default()
    })?;
    let socks_auth = SocksProxy::start_with(SocksOptions {
        auth: Some(("user".to_owned(), "pass".to_owned())),
        ..SocksOptions::default()
    })?;
    Ok(Servers {
        http,
        https,
        proxy,
        socks,
        socks_auth,
    })
}

/// Prints the one JSON line the parent process waits for.
fn announce(servers: &Servers) {
    let ca_file = servers
        .https
        .ca_file()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let quote = |s: &str| serde_json::Value::from(s).to_string();
    let line = format!(
        "{{\"http\": {}, \"https\": {}, \"ca_file\": {}, \"proxy\": {}, \"socks\": {}, \"socks_auth\": {}}}",
        quote(&servers.http.base_url()),
        quote(&servers.https.base_url()),
        quote(&ca_file),
        quote(&servers.proxy.url()),
        quote(&servers.socks.url("socks5")),
        quote(&servers.socks_auth.url("socks5")),
    );
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

/// Blocks until stdin closes (unless ignored) or a termination signal arrives.
fn wait_for_exit(ignore_stdin: bool) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("signal runtime");
    let (eof_tx, eof_rx) = tokio::sync::oneshot::channel::<()>();
    if !ignore_stdin {
        // A plain thread, not tokio's stdin: a blocking read there would
        // keep the runtime from shutting down on a signal.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            let _ = eof_tx.send(());
        });
    }
    runtime.block_on(async move {
        let stdin_closed = async {
            match eof_rx.await {
                Ok(()) => (),
                // The sender is gone without EOF only when stdin is ignored.
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = stdin_closed => {}
            _ = terminate() => {}
        }
    });
}

/// Completes on SIGINT or (on Unix) SIGTERM.
async fn terminate() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut sigterm = signal(SignalKind::terminate()).expect("install SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = sigterm.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
