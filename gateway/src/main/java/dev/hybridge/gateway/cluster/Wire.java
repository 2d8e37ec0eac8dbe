package dev.hybridge.gateway.cluster;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;

/**
 * Plaintexts of bus messages (spec/cluster.md §2): a type byte, then fixed fields. Only nodes
 * holding the cluster key can produce one, so a decoding failure is a bug or a version mismatch,
 * never client input; it is dropped and counted.
 */
final class Wire {
    private Wire() {}

    static final byte HEARTBEAT = 0x01;
    static final byte JOIN_REQ = 0x10;
    static final byte SEATED = 0x11;
    static final byte REFUSED = 0x12;
    static final byte PEER_JOINED = 0x13;
    static final byte LEAVE_REQ = 0x14;
    static final byte PEER_LEFT = 0x15;
    static final byte RELAY = 0x16;
    static final byte RELAY_ERR = 0x17;
    static final byte REHOME = 0x18;
    static final byte HANDOFF = 0x19;
    static final byte OWNER_MOVED = 0x1A;
    static final byte ROOM_STATE = 0x1B;
    static final byte EXPELLED = 0x1C;

    // short-code slots (spec/cluster.md §6; ClusterSlots)
    static final byte SLOT_JOIN = 0x20;
    static final byte SLOT_RELAY = 0x21;
    static final byte SLOT_DONE = 0x22;
    static final byte SLOT_DELIVER = 0x23;

    static final int ROOM = 32;
    static final int NODE = 16;
    static final int KEY = 1216;

    /** Heartbeat states. */
    static final byte SERVING = 0;

    static final byte LEAVING = 2;

    /** A member of a room as the cluster knows it: where it is seated and in which join order. */
    record M(long peerId, long seq, String node, byte[] publicKey) {}

    static String hex(byte[] nodeId) {
        return HexFormat.of().formatHex(nodeId);
    }

    static byte[] unhex(String nodeHex) {
        return HexFormat.of().parseHex(nodeHex);
    }

    /** A growing message. */
    static final class Out {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream(256);

        Out(byte type) {
            b.write(type);
        }

        Out u8(int v) {
            b.write(v);
            return this;
        }

        Out u16(int v) {
            b.write(v >>> 8);
            b.write(v);
            return this;
        }

        Out u64(long v) {
            for (int i = 56; i >= 0; i -= 8) {
                b.write((int) (v >>> i));
            }
            return this;
        }

        Out bytes(byte[] v) {
            b.writeBytes(v);
            return this;
        }

        Out node(String hex) {
            return bytes(unhex(hex));
        }

        Out member(M m) {
            return u64(m.peerId()).u64(m.seq()).node(m.node()).bytes(m.publicKey());
        }

        Out members(Collection<M> ms) {
            u8(ms.size());
            for (M m : ms) {
                member(m);
            }
            return this;
        }

        byte[] done() {
            return b.toByteArray();
        }
    }

    /** Reading a message; every getter throws {@link Malformed} past the end. */
    static final class In {
        private final ByteBuffer b;
        final byte type;

        In(byte[] msg) {
            this.b = ByteBuffer.wrap(msg);
            this.type = msg.length == 0 ? 0 : b.get();
        }

        int u8() {
            try {
                return b.get() & 0xFF;
            } catch (BufferUnderflowException e) {
                throw new Malformed();
            }
        }

        int u16() {
            try {
                return b.getShort() & 0xFFFF;
            } catch (BufferUnderflowException e) {
                throw new Malformed();
            }
        }

        long u64() {
            try {
                return b.getLong();
            } catch (BufferUnderflowException e) {
                throw new Malformed();
            }
        }

        byte[] bytes(int n) {
            if (b.remaining() < n) {
                throw new Malformed();
            }
            byte[] v = new byte[n];
            b.get(v);
            return v;
        }

        String node() {
            return hex(bytes(NODE));
        }

        byte[] rest() {
            return bytes(b.remaining());
        }

        M member() {
            return new M(u64(), u64(), node(), bytes(KEY));
        }

        List<M> members() {
            int n = u8();
            List<M> ms = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ms.add(member());
            }
            return ms;
        }

        void end() {
            if (b.hasRemaining()) {
                throw new Malformed();
            }
        }
    }

    /** A bus plaintext that does not follow its layout. */
    static final class Malformed extends RuntimeException {
        Malformed() {
            super("malformed bus message", null, false, false);
        }
    }
}
