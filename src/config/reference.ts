import type { DotmConfig } from './DotmConfig.ts';

/**
 * The reference configuration: every setting dotm reads, with its default and why.
 * Any of them can be set in a JSON file (`--config dotm.json`, same shape as this object) or in the
 * environment as DOTM_<SECTION>_<KEY> in upper snake case, e.g. DOTM_CONTROLLER_PORT=8080,
 * DOTM_NODE_RTC_ANNOUNCED_IP=203.0.113.7, DOTM_CONTROLLER_API_KEYS=key1,key2.
 * Precedence: command-line flags > environment > file > these defaults.
 */
export const referenceConfig: DotmConfig = {
  log: {
    /** debug | info | warn | error | silent. */
    level: 'info',
    /** 'pretty' for people at a terminal, 'json' for log collectors (one object per line). */
    format: 'pretty',
  },
  cluster: {
    /**
     * Shared by controllers and nodes: signs the controller→node commands and the media tokens the
     * nodes check. Empty means "generate one at start", which only works when controller and nodes
     * run in one process (`dotm start`); cluster mode refuses to start without it.
     */
    secret: '',
    /** 'memory' (one process, `dotm start`) or 'redis' (several machines). */
    state: 'memory',
    /**
     * Used when state is 'redis': redis://[:password@]host:port[/db]. Fixed timings over it (not
     * settings): each room's home controller holds a 3 s lease it renews every 500 ms, and a
     * controller that could not renew for 3 s (cut off from Redis) stops homing rooms — its clients
     * reconnect through the load balancer to a controller that can reach Redis — until it reaches
     * Redis again (src/controller/RoomHomes.ts). So a Redis outage shorter than ~2.3 s goes unnoticed
     * by clients; a longer one makes them reconnect. Snapshot writes are fenced by the lease (written
     * only while their controller holds it); reconnects are tried every 200 ms at most, and a command
     * of the room directory unanswered for 1.5 s fails (3 s for the node list, so /metrics and
     * placement answer with an error while Redis is out of reach).
     */
    redisUrl: 'redis://127.0.0.1:6379',
    /** Prefix of every Redis key and channel, so several clusters can share one Redis. */
    redisKeyPrefix: 'dotm:',
    /**
     * A node that has not reported for this long is dead: its OTMs are placed again elsewhere.
     * With node.heartbeatMs = 500 a node must miss four reports in a row (a 2 s stall of its event
     * loop is survived), and with the controller's 250 ms watch a crash is acted on within 2.75 s:
     * inside the 3 s a meeting can afford. Measured with 3000 ms / 1000 ms / 750 ms before: 2.4-3.5 s.
     */
    nodeTimeoutMs: 2500,
  },
  controller: {
    listenHost: '0.0.0.0',
    port: 8080,
    /** How clients reach this controller; empty means http://localhost:<port>. */
    publicUrl: '',
    /**
     * Cluster mode: how the other controllers reach this one (rooms whose home is here are relayed
     * to it). Empty means http://<listenHost>:<port>, or this machine's hostname when listening on
     * every address — set it when that name does not resolve between controllers.
     */
    internalUrl: '',
    /**
     * Keys for the token-minting (`/api/v1/publish|subscribe`) and admin API. Empty means one is
     * generated at start and printed, so the embedded default is usable at once.
     */
    apiKeys: [],
    /** Signs participants' media tokens (WHIP/WHEP bearer). Empty: derived from cluster.secret. */
    tokenSecret: '',
    /** Lifetime of a media token; it is checked when the WHIP/WHEP request arrives, not afterwards. */
    tokenTtlSeconds: 600,
    /** A participant whose WebSocket dropped keeps its place (and streams) this long for a rejoin. */
    rejoinGraceMs: 15000,
    /**
     * OTM placement policy (one file each in src/controller/placement/). 'least-loaded' (default:
     * the best media quality without knowing anything about the deployment), 'region-aware' (the
     * publisher's region first, then the nearest), 'pack' (fill nodes first, so idle ones can be
     * scaled down) or 'spread' (even OTM counts, so a lost node takes the fewest streams).
     */
    placementPolicy: 'least-loaded',
    /**
     * For 'region-aware': how far regions are from each other (any unit, smaller is nearer), read
     * both ways, e.g. { "eu-west": { "eu-central": 1, "us-east": 5 } }. When the publisher's region
     * has no node with room, the nearest listed region takes the OTM; unlisted regions come last,
     * all alike. Empty by default: regions are names only, nothing tells dotm where they are.
     */
    regionDistances: {},
    /**
     * For 'pack': the share of a node's capacity (0 < x ≤ 1) it is filled to before the next node
     * is used. 0.8 leaves a fifth for the rooms already there to grow (more subscribers, more
     * packets) without pushing the node to its limit.
     */
    packHeadroom: 0.8,
    /**
     * Where this controller's participants are, for placement, when their admission says nothing
     * (a portal tenant's region says more). Empty: unknown, so 'region-aware' acts as least-loaded
     * for them. Set it when each region has its own controllers behind a geo load balancer.
     */
    region: '',
    /**
     * Draining a node moves each stream make-before-break: its publisher opens a second connection
     * to the new node while the old one still flows. A publisher that has not reached the new node
     * after this long (an older client, a failed connection) is moved as after a node failure
     * (about 0.3 s gap). Five seconds covers a slow ICE + DTLS setup several times over.
     */
    migrationConnectTimeoutMs: 5000,
    /**
     * After a migrated stream's subscribers were told it moved, its old OTM forwards at most this
     * long more (it closes earlier once they all left it). Switching takes a subscriber well under
     * a second; WHEP-only viewers, who cannot be told, lose the stream when it closes.
     */
    migrationHandoverMs: 4000,
    /**
     * Defragmenting: every this many ms one controller of the cluster (a lease in the cluster state)
     * looks for a nearly empty node (see the next settings) while the others have room, and drains
     * it (reason "defragment") so that it can be turned off; it undrains such a node again when the
     * other nodes fill up. 0 (default) turns it off: an operator who scales nodes down decides.
     */
    defragmentIntervalMs: 0,
    /** A node with at most this many OTMs (and at most defragmentMaxUtilization) is nearly empty. */
    defragmentMaxOtms: 2,
    defragmentMaxUtilization: 0.1,
    /**
     * Only drain a node when the other active nodes would stay below this share of capacity (on
     * average) after taking its load; a defragmented node is undrained when they pass it.
     */
    defragmentTargetUtilization: 0.6,
    /** STUN/TURN servers handed to clients (WHIP/WHEP `Link` headers and the SDK). None by default. */
    iceServers: [],
    /** Largest HTTP request body accepted (SDP offers are a few KiB). */
    maxBodyBytes: 65536,
  },
  node: {
    /** Unique in the cluster; empty means `<hostname>-<port>`. */
    id: '',
    /** Where this node is (placement prefers the publisher's region). */
    region: 'local',
    listenHost: '0.0.0.0',
    /** HTTP port of the node's WHIP/WHEP endpoints; 0 picks a free one. */
    port: 0,
    /** How clients reach the node's HTTP endpoints; empty means http://<rtcAnnouncedIp>:<port>. */
    publicUrl: '',
    /** Address the media UDP sockets bind to. */
    rtcListenIp: '127.0.0.1',
    /** Address put in ICE candidates; empty means rtcListenIp. Set it to the public IP behind NAT. */
    rtcAnnouncedIp: '',
    /** UDP ports for media: one per worker process (single-port ICE), taken from this range. */
    rtcMinPort: 40000,
    rtcMaxPort: 49999,
    /** Media worker processes; 0 means one per CPU core. The OTM, not the process, is placed. */
    workers: 0,
    /**
     * V8 flags each media worker process starts with: how it trades memory for CPU. The defaults were
     * measured with `npm run bench` (room of 10 at 3 Mbit/s, one worker, side by side):
     * - --max-semi-space-size=2: a 2 MiB young generation. The hot path's garbage is short-lived (send
     *   requests Node creates per datagram, keystream strings), and V8's default 16 MiB semi-spaces
     *   kept ~30 MiB of it resident; scavenges of 2 MiB find almost nothing alive, so they stay cheap
     *   (~1.5 % more instructions on the fan-out path).
     * - --memory-saver-mode: V8 grows the old generation in 2 MiB steps instead of 8 MiB between major
     *   collections and compacts when it collects. The worker's RSS at n = 10 was 121–127 MiB against
     *   128–130 MiB without it, at the same CPU per packet (14.0–14.9 µs against 12.6–15.8).
     * Add --optimize-for-size to save a little more at 6–25 % more CPU per packet; [] gives V8's defaults.
     */
    workerV8Flags: ['--max-semi-space-size=2', '--memory-saver-mode'],
    /**
     * glibc's MALLOC_ARENA_MAX for each media worker process; 0 leaves it to the environment (glibc's
     * default is 8 arenas per core).
     * V8's background threads (compilers, concurrent GC) each get a malloc arena of their own, and
     * what they free stays resident there: a worker held ~17 MiB of arenas with under 1 MiB in use.
     * With one arena they reuse the main thread's free memory. Measured with `npm run bench` (room of
     * 10 at 3 Mbit/s, three runs each, side by side): 94–130 KiB per subscriber with 1, 118–157
     * with 2 and 192–221 with glibc's default, at the same CPU per packet (12.6–15.6 µs for all
     * three). Ignored where the C library is not glibc. `npm start` sets the same for its own process.
     */
    workerMallocArenaMax: 1,
    /** How often the node reports its load to the cluster (see cluster.nodeTimeoutMs). */
    heartbeatMs: 500,
    /**
     * Capacity limits used by placement: packets per second (received + forwarded) and subscribers.
     * maxPacketsPerSecond 0 (default) means measured: the node times its workers' CPU per packet
     * while it carries traffic and offers 80 % of its worker cores at that cost (so a slower or busier
     * machine offers less); until it has measured, 25k packets/s per worker core (a cautious
     * figure: the forwarding benchmark measures 5–10 µs per packet, i.e. 100k+). Set a number to
     * fix it. maxSubscribers 0: no limit on subscribers.
     */
    maxPacketsPerSecond: 0,
    maxSubscribers: 0,
  },
  media: {
    /**
     * Most packets kept per source SSRC to answer NACKs: 2048 ≈ 5 s of a 3 Mbit/s camera. How long they
     * are kept follows the viewers: 3 round-trip times of the farthest one (from their receiver
     * reports), at least 250 ms and at most 3 s, and 1 s until a viewer has reported its RTT.
     */
    nackCachePackets: 2048,
    /** Keyframe requests from many subscribers reach the publisher at most this often. */
    keyframeRequestIntervalMs: 500,
    /**
     * REMB sent to publishers, the most their browsers will send: the seed paper's 3 Mbit/s per
     * participant, above the 2.5 Mbit/s a 720p camera encodes at (test/e2e/bitrate.test.ts).
     */
    publisherMaxBitrateBps: 3_000_000,
    /**
     * How a publisher's browser finds its bit rate.
     * 'remb': transport-cc is left out of the publish answer, so Chromium takes the REMB
     * (publisherMaxBitrateBps) as its estimate and lowers it only on the loss our receiver reports
     * show (above 10%); NACK repairs the rest. 'transport-cc': the answer agrees to transport-wide
     * congestion control and the OTM sends its feedback every 100 ms, so Chromium's delay-based
     * estimator runs (capped by the REMB) and backs off on a congested uplink before packets are lost.
     * Why 'remb' is the default, measured with Chromium on a 2-core machine (test/e2e/bitrate.test.ts):
     * both reach 2.5 Mbit/s when the machine is quiet, but with its CPU contended (load 7-20)
     * 'transport-cc' stayed below 2 Mbit/s in 6 of 21 runs (its estimate stuck near 0.5-1 Mbit/s
     * after start-up, then climbing ~8%/s) and 'remb' in none; with 3% loss on the publisher's link
     * 'remb' reached 2.5 Mbit/s in ~4 s and 'transport-cc' in ~14 s. Prefer 'transport-cc' where
     * publishers' uplinks, not the media nodes' CPUs, are the bottleneck.
     */
    publisherCongestionControl: 'remb',
    /** A peer that sends nothing (no ICE check, no media) for this long is gone. */
    consentTimeoutMs: 15000,
    /** Socket buffers sized for keyframe bursts of many subscribers at once. */
    udpBufferBytes: 8 * 1024 * 1024,
  },
  database: {
    /**
     * Where history, tenants and portal meetings are kept. 'sqlite' is the embedded default (a
     * file, nothing to install); 'postgres' is for cluster mode, one database shared by every
     * controller (same schema: src/db/migrations).
     */
    engine: 'sqlite',
    /** The embedded database file, relative to the working directory; ':memory:' keeps nothing. */
    sqlitePath: 'data/dotm.sqlite',
    /** Used when engine is 'postgres': postgres://user:password@host:5432/dbname. */
    postgresUrl: '',
  },
  portal: {
    /** The BigBlueButton-compatible API at /bigbluebutton/api/ for institution portals and LMSes. */
    enabled: true,
    /**
     * The default tenant's shared secret (what `dotm secret` prints). Empty: a random one is made
     * on first start and kept in the database, so portals stay configured across restarts.
     */
    defaultSecret: '',
    /** Signs the invitation a join call hands the meeting page. Empty: derived from cluster.secret. */
    joinTokenSecret: '',
    /** The invitation is a bearer credential in a URL: short-lived, and the page strips it at once. */
    joinTokenTtlSeconds: 300,
    /** How often meetings that emptied, were never joined, or ran past their duration are ended. */
    sweepIntervalMs: 5000,
    /** A meeting everyone left ends after this long (BigBlueButton: 1 minute). */
    emptyMeetingGraceMs: 60000,
    /** A meeting nobody joined ends after this long (BigBlueButton: 5 minutes). */
    unjoinedMeetingExpiryMs: 300000,
  },
  stats: {
    /** Usage history (node load, rooms outside the portal), the /api/v1/stats API and the /dashboard page. */
    enabled: true,
    /** How often each node's load is stored: one row per node per interval, however many controllers sample. */
    sampleIntervalMs: 10000,
    /** Node load samples are deleted after this many days (hourly sums outlive them); 0 keeps them forever. */
    sampleRetentionDays: 14,
    /** Hourly node load and which nodes carried which meetings are kept this many days; 0 keeps them forever. */
    hourRetentionDays: 0,
    /** Also keep the history of rooms that are not portal meetings (the meeting page, the WHIP API). */
    recordRooms: true,
  },
  start: {
    /** Media nodes `dotm start` runs beside the controller: two, so the distributed path is the one used. */
    nodes: 2,
  },
};
