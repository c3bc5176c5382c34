//! TCP listeners (`Tcp(port)` services) and the TCP stack's answers: a SYN-ACK from a
//! listener, an RST where nothing listens, and the passive close of a listener's connection.
//! Client connections are probe sockets (`probe`).

use crate::device::action::{Action, Delivery};
use crate::device::stack::interface::{Interface, Local};
use crate::device::Outbox;
use crate::wire::{self, TcpFlags, L4};

const TCP_WINDOW: u16 = 65535;

/// A segment for a port no socket bound.
pub fn input(net: &mut Interface, local: &Local, out: &mut Outbox) {
    let Some(ip) = local.view.ip else {
        return;
    };
    let L4::Tcp {
        sport,
        dport,
        seq,
        ack,
        flags: f,
    } = ip.l4
    else {
        return;
    };
    let frame = &local.frame;
    let listening = net.cfg.services().tcp.contains(&dport);
    if f.rst {
        return;
    }
    let reply = |seq: u32, ack: u32, flags: TcpFlags| {
        move |h: &wire::IpHeader| wire::tcp_frame(h, dport, sport, seq, ack, flags, TCP_WINDOW)
    };
    if f.syn && !f.ack {
        if listening {
            out.hop(frame.probe, &frame.bytes, |_| {
                Action::Delivered(Delivery::TcpListener { port: dport })
            });
            let isn = 0x1000_0000 | u32::from(sport);
            let answer = reply(isn, seq.wrapping_add(1), TcpFlags::SYN_ACK);
            net.send_ip(Some(ip.dst), ip.src, frame.probe, out, answer);
        } else {
            out.hop(frame.probe, &frame.bytes, |_| {
                Action::Delivered(Delivery::TcpReset { port: dport })
            });
            let answer = reply(0, seq.wrapping_add(1), TcpFlags::RST_ACK);
            net.send_ip(Some(ip.dst), ip.src, frame.probe, out, answer);
        }
        return;
    }
    if f.fin && listening {
        // Passive close: acknowledge the FIN and close our side at once.
        let answer = reply(ack, seq.wrapping_add(1), TcpFlags::FIN_ACK);
        net.send_ip(Some(ip.dst), ip.src, frame.probe, out, answer);
    }
}
