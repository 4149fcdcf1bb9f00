//! Wire protocols spoken over a connection's transport.
//!
//! HTTP/2 lives here. HTTP/1.1's parts predate this module and sit next to what uses them:
//! request encoding in `connection::encode`, head parsing in `response::head`, body framing in
//! `response::body`.

pub(crate) mod http2;
