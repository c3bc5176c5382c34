//! Traffic generators: the benchmark's UDP echo client.

use super::{IpStack, TIMER_APP};
use crate::device::Outbox;
use crate::time::SimDuration;
use crate::wire;
use std::net::Ipv4Addr;

/// Sends `count` UDP datagrams to `dst:port`, one every `interval`, and counts the echoes.
#[derive(Clone, Debug)]
pub struct EchoApp {
    pub dst: Ipv4Addr,
    pub port: u16,
    pub sport: u16,
    pub count: u32,
    pub interval: SimDuration,
    pub sent: u32,
    pub replies: u32,
}

const PAYLOAD: [u8; 32] = [0x5a; 32];

impl IpStack {
    /// Adds an echo client and starts it at `out.now + delay`.
    pub fn start_echo_app(
        &mut self,
        dst: Ipv4Addr,
        port: u16,
        count: u32,
        interval: SimDuration,
        delay: SimDuration,
        out: &mut Outbox,
    ) {
        let sport = self.next_ephemeral();
        self.apps.push(EchoApp {
            dst,
            port,
            sport,
            count,
            interval,
            sent: 0,
            replies: 0,
        });
        out.timer(out.now + delay, TIMER_APP | (self.apps.len() - 1) as u64);
    }

    pub(super) fn app_tick(&mut self, i: usize, out: &mut Outbox) {
        let Some(app) = self.apps.get_mut(i) else {
            return;
        };
        if app.sent >= app.count {
            return;
        }
        app.sent += 1;
        let (dst, port, sport, more, interval) = (
            app.dst,
            app.port,
            app.sport,
            app.sent < app.count,
            app.interval,
        );
        self.send_ip(None, dst, None, out, |h| {
            wire::udp_frame(h, sport, port, &PAYLOAD)
        });
        if more {
            out.timer(out.now + interval, TIMER_APP | i as u64);
        }
    }
}
