package dev.hybridge.bench;

/** One peer of a relay workload: sends envelopes carrying (seq, send time, sender id) to another peer of its room. */
interface Peer {
    void relay(int to, byte[] envelope) throws Exception;

    void close();
}
