//! A connection that closes after `IDLE_TIMEOUT` without a byte read or written. hyper's
//! header-read timeout covers the wait for a request; this covers everything after it (a body
//! that never arrives, a client that stops reading a response).
//!
//! Reading and writing only note the time; the timer is moved when it fires early, not on
//! every read and write (resetting a tokio timer takes the timer wheel's lock, and a vote
//! does three of them).
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

pub(crate) struct IdleStream {
    inner: TcpStream,
    timeout: Duration,
    /// When a byte was last read or written.
    active: Instant,
    /// At or before `active + timeout`; checked against it when it fires.
    deadline: Pin<Box<Sleep>>,
}

impl IdleStream {
    pub(super) fn new(inner: TcpStream, timeout: Duration) -> Self {
        IdleStream {
            inner,
            timeout,
            active: Instant::now(),
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    fn touch(&mut self) {
        self.active = Instant::now();
    }

    /// Ready once the connection has really been idle for `timeout`.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            std::task::ready!(self.deadline.as_mut().poll(cx));
            let due = self.active + self.timeout;
            if due <= Instant::now() {
                return Poll::Ready(());
            }
            // There was traffic since the timer was set: move it and wait again.
            self.deadline.as_mut().reset(due);
        }
    }
}

impl AsyncRead for IdleStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.touch();
                Poll::Ready(r)
            }
            Poll::Pending => match this.poll_idle(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection idle too long",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for IdleStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(_))) {
            this.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(_))) {
            this.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
