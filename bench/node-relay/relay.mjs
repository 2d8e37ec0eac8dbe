// The seed design's signaling relay (shared/seeds/004, "Implementation Sketch"): Node + ws, JSON
// messages, rooms in memory, no encryption. Benchmark baseline only: node [--expose-gc] relay.mjs PORT
import { WebSocketServer } from 'ws';
import { randomBytes } from 'node:crypto';

const port = Number(process.argv[2] || 8090);
const rooms = new Map(); // room -> Map(id -> ws)
const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/ws' });

wss.on('connection', (ws) => {
  let room = null;
  const id = randomBytes(8).toString('hex');
  const leave = () => {
    if (!room) return;
    const members = rooms.get(room);
    members.delete(id);
    for (const other of members.values()) other.send(JSON.stringify({ type: 'peer-left', id }));
    if (members.size === 0) rooms.delete(room);
    room = null;
  };
  ws.on('message', (raw) => {
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    switch (msg.type) {
      case 'join': {
        if (room) return;
        room = String(msg.room);
        if (!rooms.has(room)) rooms.set(room, new Map());
        const members = rooms.get(room);
        ws.send(JSON.stringify({ type: 'joined', id, peers: [...members.keys()] }));
        for (const other of members.values())
          other.send(JSON.stringify({ type: 'peer-joined', id }));
        members.set(id, ws);
        break;
      }
      case 'offer':
      case 'answer':
      case 'ice-candidate': {
        const target = room && rooms.get(room).get(msg.to);
        if (target) target.send(JSON.stringify({ type: msg.type, from: id, data: msg.data }));
        break;
      }
      case 'leave':
        leave();
        break;
      case 'bench-memory': {
        // the load tool's reading (not part of the seed's protocol): memory after a full GC
        // when node runs with --expose-gc, as the gateway's heap is read after one
        if (typeof global.gc === 'function') global.gc();
        const m = process.memoryUsage();
        ws.send(
          JSON.stringify({
            type: 'bench-memory',
            rss: m.rss,
            heapUsed: m.heapUsed,
            external: m.external,
            arrayBuffers: m.arrayBuffers,
          }),
        );
        break;
      }
    }
  });
  ws.on('close', leave);
});
wss.on('listening', () => console.log(`listening on ${port}`));
