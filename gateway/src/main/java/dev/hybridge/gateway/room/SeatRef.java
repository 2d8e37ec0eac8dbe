package dev.hybridge.gateway.room;

/** A connection's handle on its place in a room, as {@link Rooms} gave it. */
public interface SeatRef {}
