/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ldm: live-migration accelerator for emulated domains.
 *
 * The user ABI of ldm.ko: the generic netlink family "ldm", the ioctls of
 * the per-domain device /dev/ldm/<domain>, and the limits both share.
 * Everything here is fixed-width, explicitly padded and pointer-free, so
 * that 32-bit and 64-bit userland see the same layout.
 */
#ifndef _UAPI_LINUX_LDM_H
#define _UAPI_LINUX_LDM_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define LDM_GENL_NAME		"ldm"
#define LDM_GENL_VERSION	2

/*
 * The user ABI version; bumped on every incompatible change. Version 2:
 * a session belongs to one open file of the domain's node (%LDM_A_MIG_FD),
 * its key goes through that file (%LDM_IOC_SESSION_KEY), never through
 * netlink; domains belong to a network namespace; more workers than CPUs.
 */
#define LDM_UAPI_VERSION	2

/*
 * A domain name: 1 to LDM_NAME_MAX - 1 bytes of [A-Za-z0-9_.-], not "."
 * or "..". It names the node /dev/ldm/<name>, so it must be a safe file
 * name.
 */
#define LDM_NAME_MAX		32

/**
 * enum ldm_cmd - commands of the "ldm" generic netlink family
 * @LDM_CMD_UNSPEC: unused
 * @LDM_CMD_DOMAIN_NEW: create a domain; needs %LDM_A_DOMAIN_NAME and
 *	%LDM_A_DOMAIN_SIZE
 * @LDM_CMD_DOMAIN_DEL: destroy an idle domain; needs %LDM_A_DOMAIN_NAME
 * @LDM_CMD_DOMAIN_GET: doit: one domain by %LDM_A_DOMAIN_NAME; dumpit: all
 *	domains. Replies carry the LDM_A_DOMAIN_* attributes.
 * @LDM_CMD_DOMAIN_SET_STATE: suspend, resume, or mark migrated a domain:
 *	%LDM_A_DOMAIN_NAME and %LDM_A_DOMAIN_STATE. Allowed: active <->
 *	suspended, suspended -> migrated; setting the current state is a
 *	no-op.
 * @LDM_CMD_MIGRATE_START: start sending a domain: %LDM_A_DOMAIN_NAME,
 *	%LDM_A_MIG_FD, optional %LDM_A_MIG_WORKERS, %LDM_A_MIG_BATCH_BYTES,
 *	%LDM_A_MIG_RAW_THRESHOLD, %LDM_A_MIG_RING_SLOTS, %LDM_A_MIG_FLAGS,
 *	%LDM_A_MIG_DIRTY_LIMIT. Creates the domain's batch ring. The session
 *	is driven by the netlink socket that sent this and ends when that
 *	socket closes; its ring and its ioctls are reachable only through the
 *	open file %LDM_A_MIG_FD names, which then gives it its key
 *	(%LDM_IOC_SESSION_KEY) before the first round.
 * @LDM_CMD_MIGRATE_ROUND: harvest and send the next round of a sending
 *	session (%LDM_A_DOMAIN_NAME; optional %LDM_A_MIG_CODEC for this
 *	round, LZJB by default, and %LDM_A_MIG_ROUND_FLAGS). Returns at
 *	once with %LDM_A_MIG_ROUND and %LDM_A_MIG_ROUND_PAGES; the round's
 *	batches, then a batch flagged %LDM_BATCH_F_ROUND_END, appear in the
 *	ring.
 * @LDM_CMD_RECEIVE_START: start receiving into a domain: %LDM_A_DOMAIN_NAME,
 *	%LDM_A_MIG_FD, optional %LDM_A_MIG_WORKERS, %LDM_A_MIG_RING_SLOTS,
 *	%LDM_A_MIG_BATCH_BYTES. Same ownership rules; no batch is taken from
 *	the ring before the key is set.
 * @LDM_CMD_MIGRATE_STOP: end the session of a domain (%LDM_A_DOMAIN_NAME),
 *	either side: stops the workers and wipes the key. The ring stays
 *	mapped, read-only in effect, until unmapped.
 * @LDM_CMD_MIGRATE_GET: the session of a domain (%LDM_A_DOMAIN_NAME):
 *	%LDM_A_MIG_STATE, %LDM_A_MIG_ERROR, %LDM_A_MIG_ERROR_MSG,
 *	%LDM_A_MIG_ROUND, %LDM_A_MIG_TOTALS, %LDM_A_MIG_ROUNDS,
 *	%LDM_A_MIG_WORKER_STATS; sending, also %LDM_A_MIG_DIRTY_LIMIT,
 *	%LDM_A_MIG_THROTTLED and %LDM_A_MIG_THROTTLE_NS.
 * @LDM_CMD_MIGRATE_SET: change a sending session while a round runs:
 *	%LDM_A_DOMAIN_NAME and %LDM_A_MIG_CODEC, which the workers use from
 *	their next page on, so that an adaptive sender can compare codecs
 *	within one long round (round 0 is most of a migration), or
 *	%LDM_A_MIG_DIRTY_LIMIT, from the guest's next write fault on, or
 *	both.
 * @__LDM_CMD_MAX: internal
 * @LDM_CMD_MAX: highest command number
 *
 * Every command needs CAP_NET_ADMIN (in the initial user namespace). A
 * domain belongs to the network namespace it was created from: a request
 * from another namespace does not see it ("no such domain"), except from
 * the initial network namespace, the host's own, which sees and controls
 * every domain. When a namespace goes away, its domains pass to the
 * initial one; none is destroyed with it. Names are global (they name the
 * device node): a name taken in any namespace is refused.
 */
enum ldm_cmd {
	LDM_CMD_UNSPEC,
	LDM_CMD_DOMAIN_NEW,
	LDM_CMD_DOMAIN_DEL,
	LDM_CMD_DOMAIN_GET,
	LDM_CMD_MIGRATE_START,
	LDM_CMD_MIGRATE_ROUND,
	LDM_CMD_RECEIVE_START,
	LDM_CMD_MIGRATE_STOP,
	LDM_CMD_MIGRATE_GET,
	LDM_CMD_DOMAIN_SET_STATE,
	LDM_CMD_MIGRATE_SET,

	__LDM_CMD_MAX,
	LDM_CMD_MAX = __LDM_CMD_MAX - 1
};

/**
 * enum ldm_attr - attributes of the "ldm" generic netlink family
 * @LDM_A_UNSPEC: unused
 * @LDM_A_PAD: padding for 64-bit attributes
 * @LDM_A_DOMAIN_NAME: NUL-terminated string, the domain name
 * @LDM_A_DOMAIN_SIZE: u64, guest RAM size in bytes (a multiple of the
 *	page size, at most the module parameter max_domain_mib)
 * @LDM_A_DOMAIN_PAGE_SIZE: u32, the page size of the domain (reply only)
 * @LDM_A_DOMAIN_RESIDENT: u64, pages allocated so far (reply only)
 * @LDM_A_DOMAIN_DIRTY: u64, pages written since the last harvest (reply
 *	only)
 * @LDM_A_DOMAIN_STATE: u32, &enum ldm_domain_state
 * @LDM_A_DOMAIN_OPEN: u32, open files of the device node (reply only)
 * @LDM_A_DOMAIN_MAPPED: u32, memory mappings of the domain (reply only)
 * @LDM_A_DOMAIN_MINOR: u32, minor number of the device node (reply only)
 * @LDM_A_MIG_KEY_V1: version 1 carried the batch key here; refused: a key
 *	in a netlink request can be echoed back in an error or copied by a
 *	tap, so keys go through %LDM_IOC_SESSION_KEY
 * @LDM_A_MIG_SALT_V1: version 1's nonce salt; refused likewise
 * @LDM_A_MIG_WORKERS: u32, worker threads, 1..%LDM_WORKERS_MAX, spread
 *	over the online CPUs in turn (default: one per online CPU)
 * @LDM_A_MIG_BATCH_BYTES: u32, payload bytes per batch, %LDM_BATCH_MIN ..
 *	%LDM_BATCH_MAX (default %LDM_BATCH_DEFAULT); the same on both sides
 * @LDM_A_MIG_RAW_THRESHOLD: u32, a page is sent compressed only if that
 *	takes at most this many bytes, 1..page size (default 7/8 of a page)
 * @LDM_A_MIG_RING_SLOTS: u32, slots of the ring, a power of two,
 *	2 * workers .. %LDM_RING_SLOTS_MAX (default 64), and the slots at
 *	most %LDM_RING_MAX_BYTES in all
 * @LDM_A_MIG_FLAGS: u32, &enum ldm_mig_flags
 * @LDM_A_MIG_ROUND: u32, the round last started
 * @LDM_A_MIG_ROUND_PAGES: u64, pages to send in that round (reply)
 * @LDM_A_MIG_STATE: u32, &enum ldm_mig_state
 * @LDM_A_MIG_ERROR: u32, the positive errno that failed the session, or 0
 * @LDM_A_MIG_ERROR_MSG: string, what failed, for people
 * @LDM_A_MIG_TOTALS: nested LDM_A_STAT_*, the whole session
 * @LDM_A_MIG_ROUNDS: nested; one nested LDM_A_STAT_* set per finished round
 *	(attribute type = round number + 1)
 * @LDM_A_MIG_WORKER_STATS: nested; one nested LDM_A_STAT_* set per worker
 *	(attribute type = worker number + 1)
 * @LDM_A_MIG_RING_BYTES: u64, bytes to map at %LDM_RING_OFFSET (reply)
 * @LDM_A_MIG_CODEC: u32, &enum ldm_codec: how a round compresses pages
 * @LDM_A_MIG_ROUND_FLAGS: u32, &enum ldm_round_flags
 * @LDM_A_MIG_FD: s32, a file descriptor of the caller's for the domain's
 *	node /dev/ldm/<name>, opened read-write: the session's ring is mapped,
 *	polled and kicked, and its ioctls run, through that open file only.
 *	Other open files of the node (an emulator's) map guest RAM and
 *	nothing else.
 * @LDM_A_MIG_DIRTY_LIMIT: u32, sending only: the pages a second the guest
 *	may dirty while the session runs, 0 for no limit (the default). A
 *	writer that dirties pages faster sleeps (killably, holding no lock)
 *	on its way back to user space; reads and writes to pages already
 *	dirty are never slowed. The limit ends with the session.
 * @LDM_A_MIG_THROTTLED: u64, write faults made to wait under the limit
 *	since it was set (reply)
 * @LDM_A_MIG_THROTTLE_NS: u64, the waits imposed on them in all (reply)
 * @LDM_A_MIG_EPOCH_SHIFT: u32, the batches of one key epoch are
 *	1 << this many: every that many sequence numbers both ends seal and
 *	open under the next key (%LDM_IOC_SESSION_REKEY). From the larger of
 *	%LDM_EPOCH_SHIFT_MIN and log2 of the ring slots up to the longest
 *	epoch that stays within %LDM_EPOCH_BYTES_SHIFT (the default); the
 *	same on both sides. Echoed in replies.
 * @LDM_A_MIG_KEY_EPOCH: u64, the newest key epoch a batch was sealed or
 *	opened under (reply)
 * @LDM_A_DOMAIN_MISSING: u64, post-copy: pages the domain still lacks
 *	(reply only; absent outside post-copy)
 * @LDM_A_DOMAIN_REMOTE_FAULTS: u64, post-copy: faults that waited for a
 *	page to arrive (reply only)
 * @LDM_A_DOMAIN_FAULT_WAIT_NS: u64, post-copy: their waits in all
 * @LDM_A_DOMAIN_FAULT_WAIT_MAX_NS: u64, post-copy: the longest of them
 * @__LDM_A_MAX: internal
 * @LDM_A_MAX: highest attribute number
 */
enum ldm_attr {
	LDM_A_UNSPEC,
	LDM_A_PAD,
	LDM_A_DOMAIN_NAME,
	LDM_A_DOMAIN_SIZE,
	LDM_A_DOMAIN_PAGE_SIZE,
	LDM_A_DOMAIN_RESIDENT,
	LDM_A_DOMAIN_DIRTY,
	LDM_A_DOMAIN_STATE,
	LDM_A_DOMAIN_OPEN,
	LDM_A_DOMAIN_MAPPED,
	LDM_A_DOMAIN_MINOR,
	LDM_A_MIG_KEY_V1,
	LDM_A_MIG_SALT_V1,
	LDM_A_MIG_WORKERS,
	LDM_A_MIG_BATCH_BYTES,
	LDM_A_MIG_RAW_THRESHOLD,
	LDM_A_MIG_RING_SLOTS,
	LDM_A_MIG_FLAGS,
	LDM_A_MIG_ROUND,
	LDM_A_MIG_ROUND_PAGES,
	LDM_A_MIG_STATE,
	LDM_A_MIG_ERROR,
	LDM_A_MIG_ERROR_MSG,
	LDM_A_MIG_TOTALS,
	LDM_A_MIG_ROUNDS,
	LDM_A_MIG_WORKER_STATS,
	LDM_A_MIG_RING_BYTES,
	LDM_A_MIG_CODEC,
	LDM_A_MIG_ROUND_FLAGS,
	LDM_A_MIG_FD,
	LDM_A_MIG_DIRTY_LIMIT,
	LDM_A_MIG_THROTTLED,
	LDM_A_MIG_THROTTLE_NS,
	LDM_A_MIG_EPOCH_SHIFT,
	LDM_A_MIG_KEY_EPOCH,
	LDM_A_DOMAIN_MISSING,
	LDM_A_DOMAIN_REMOTE_FAULTS,
	LDM_A_DOMAIN_FAULT_WAIT_NS,
	LDM_A_DOMAIN_FAULT_WAIT_MAX_NS,

	__LDM_A_MAX,
	LDM_A_MAX = __LDM_A_MAX - 1
};

/**
 * enum ldm_domain_state - life cycle of a domain
 * @LDM_DOMAIN_STATE_UNSPEC: unused
 * @LDM_DOMAIN_STATE_ACTIVE: guest RAM is usable and dirty tracking is on
 * @LDM_DOMAIN_STATE_SUSPENDED: the first write to any page after the last
 *	harvest blocks (killable) until the domain is active again; reads
 *	and the migration engine go on
 * @LDM_DOMAIN_STATE_MIGRATED: the domain moved to another host: writes
 *	block for good; it can only be destroyed
 */
enum ldm_domain_state {
	LDM_DOMAIN_STATE_UNSPEC,
	LDM_DOMAIN_STATE_ACTIVE,
	LDM_DOMAIN_STATE_SUSPENDED,
	LDM_DOMAIN_STATE_MIGRATED,
};

/**
 * enum ldm_stat_attr - counters of a session, a round or a worker
 * @LDM_A_STAT_UNSPEC: unused
 * @LDM_A_STAT_PAD: padding
 * @LDM_A_STAT_PAGES_ZERO: u64, zero pages sent as zero records
 * @LDM_A_STAT_PAGES_SKIPPED: u64, zero pages not sent at all (round 0)
 * @LDM_A_STAT_PAGES_LZJB: u64, pages sent LZJB-compressed
 * @LDM_A_STAT_PAGES_RAW: u64, pages sent as they are
 * @LDM_A_STAT_BYTES_IN: u64, guest RAM bytes read (or written, receiving)
 * @LDM_A_STAT_BYTES_OUT: u64, record bytes after compression
 * @LDM_A_STAT_BATCHES: u64, batches sealed (or opened, receiving)
 * @LDM_A_STAT_TIME_NS: u64, wall time (rounds: from start to last batch)
 * @LDM_A_STAT_PAGES_STALE: u64, receiving: records older than the page
 * @LDM_A_STAT_BUSY_NS: u64, time workers spent working
 * @LDM_A_STAT_ROUND_BATCHES: u64, receiving: batches the round's
 *	%LDM_BATCH_F_ROUND_END announced (0 until it arrived)
 * @LDM_A_STAT_PAGES_LZ4: u64, pages sent (applied) LZ4-compressed
 * @__LDM_A_STAT_MAX: internal
 * @LDM_A_STAT_MAX: highest attribute number
 */
enum ldm_stat_attr {
	LDM_A_STAT_UNSPEC,
	LDM_A_STAT_PAD,
	LDM_A_STAT_PAGES_ZERO,
	LDM_A_STAT_PAGES_SKIPPED,
	LDM_A_STAT_PAGES_LZJB,
	LDM_A_STAT_PAGES_RAW,
	LDM_A_STAT_BYTES_IN,
	LDM_A_STAT_BYTES_OUT,
	LDM_A_STAT_BATCHES,
	LDM_A_STAT_TIME_NS,
	LDM_A_STAT_PAGES_STALE,
	LDM_A_STAT_BUSY_NS,
	LDM_A_STAT_ROUND_BATCHES,
	LDM_A_STAT_PAGES_LZ4,

	__LDM_A_STAT_MAX,
	LDM_A_STAT_MAX = __LDM_A_STAT_MAX - 1
};

/**
 * enum ldm_mig_state - state of a domain's migration session
 * @LDM_MIG_STATE_NONE: no session
 * @LDM_MIG_STATE_SENDING: a sending session is running
 * @LDM_MIG_STATE_RECEIVING: a receiving session is running
 * @LDM_MIG_STATE_FAILED: the session failed; see %LDM_A_MIG_ERROR
 */
enum ldm_mig_state {
	LDM_MIG_STATE_NONE,
	LDM_MIG_STATE_SENDING,
	LDM_MIG_STATE_RECEIVING,
	LDM_MIG_STATE_FAILED,
};

/**
 * enum ldm_mig_flags - options of a session
 * @LDM_MIG_F_BASELINE: sending only: the design before this one, for
 *	benchmarks: one worker, every page copied to a bounce buffer first,
 *	no zero-page detection
 * @LDM_MIG_F_FIPS: FIPS 140-2 mode: refused unless the kernel runs in
 *	FIPS mode (fips=1), so that gcm(aes) is a validated implementation
 */
enum ldm_mig_flags {
	LDM_MIG_F_BASELINE = 1 << 0,
	LDM_MIG_F_FIPS = 1 << 1,
};

/**
 * enum ldm_codec - how the pages of a round are compressed
 * @LDM_CODEC_LZJB: LZJB (the default): cheap, for slow links
 * @LDM_CODEC_LZ4: the kernel's LZ4: faster, a little less compression
 * @LDM_CODEC_NONE: no compression (zero pages are still detected): for
 *	links faster than the compressor
 */
enum ldm_codec {
	LDM_CODEC_LZJB = 1,
	LDM_CODEC_LZ4 = 2,
	LDM_CODEC_NONE = 3,
};

/**
 * enum ldm_round_flags - options of one round
 * @LDM_ROUND_F_RESEND: also send again every page of the previous round,
 *	whatever became of its batches: after a dropped connection, the
 *	pages the target may have missed, without starting over
 * @LDM_ROUND_F_POSTCOPY: a post-copy round (the guest runs on the
 *	target): pages asked for with %LDM_IOC_URGENT go first, the others
 *	from the latest asked for on
 */
enum ldm_round_flags {
	LDM_ROUND_F_RESEND = 1 << 0,
	LDM_ROUND_F_POSTCOPY = 1 << 1,
};

#define LDM_KEY_BYTES		32
#define LDM_TAG_BYTES		16
#define LDM_BATCH_MIN		(16 * 1024)
#define LDM_BATCH_DEFAULT	(64 * 1024)
#define LDM_BATCH_MAX		(1024 * 1024)
#define LDM_RING_SLOTS_DEFAULT	64
#define LDM_RING_SLOTS_MAX	4096
/* Most workers a session may ask for, whatever the number of CPUs. */
#define LDM_WORKERS_MAX		256
/* Largest ring: slots times their size, header page not counted. */
#define LDM_RING_MAX_BYTES	(256 * 1024 * 1024)

/*
 * Keys are renewed per epoch of batches. One key seals at most
 * 1 << LDM_EPOCH_BYTES_SHIFT bytes of batches (2^32 AES blocks: the
 * chance of telling its ciphertext from random stays near 2^-64, far
 * below the bound TLS 1.3 keeps for AES-GCM), so an epoch has at most
 * 1 << (LDM_EPOCH_BYTES_SHIFT - ceil(log2(batch bytes + header + tag)))
 * batches, and at least 1 << LDM_EPOCH_SHIFT_MIN.
 */
#define LDM_EPOCH_BYTES_SHIFT	36
#define LDM_EPOCH_SHIFT_MIN	8

/*
 * The batch ring is mapped from the domain's node at this offset, far
 * above any domain's RAM (a domain is smaller than 1 << 52 bytes).
 */
#define LDM_RING_OFFSET		(1ULL << 52)

#define LDM_RING_MAGIC		0x474e524cU	/* "LRNG" */

/**
 * struct ldm_ring_hdr - first page of the batch ring mapping
 * @magic: %LDM_RING_MAGIC
 * @version: %LDM_UAPI_VERSION
 * @nslots: number of slots, a power of two
 * @slot_bytes: size of a slot; the largest batch fits in one
 * @slots_offset: offset of slot 0 from the start of the mapping
 * @state: &enum ldm_mig_state, written by the kernel
 * @error: positive errno that failed the session, written by the kernel
 * @flags: &enum ldm_ring_flags, written by the kernel
 * @prod: free-running count of slots filled by the producer (the kernel
 *	when sending, userland when receiving). Slot i is at
 *	@slots_offset + (i % @nslots) * @slot_bytes.
 * @pad1: padding, keeps @cons on its own cache line
 * @cons: free-running count of slots released by the consumer (userland
 *	when sending, the kernel when receiving)
 * @pad2: padding to the end of the cache line
 *
 * Each side writes its own index with release semantics after it is done
 * with the slots it covers, and reads the other's with acquire semantics.
 * The kernel checks every index userland writes (cons may only move
 * forward and never past prod; prod may only move forward and never more
 * than @nslots past cons); a bad index fails the session.
 *
 * A sending session's consumer stores @cons, then reads @flags to learn
 * whether to kick: it needs a full memory barrier between the two
 * (atomic_thread_fence(memory_order_seq_cst); a release store followed by
 * an acquire or even seq_cst load is not enough, on x86 too: the store
 * may wait in the store buffer while the load completes). The kernel does
 * the mirror image (sets %LDM_RING_F_NEED_WAKEUP, full barrier, rereads
 * @cons); without the user's barrier both may miss each other, and the
 * workers sleep until the consumer gives up.
 *
 * The kernel writes a slot only once its batch is sealed and never reads
 * a slot back: what userland writes into a sending ring changes only what
 * it sends. A receiving session copies each batch out of its slot before
 * looking at it.
 */
struct ldm_ring_hdr {
	__u32 magic;
	__u32 version;
	__u32 nslots;
	__u32 slot_bytes;
	__u32 slots_offset;
	__u32 state;
	__u32 error;
	__u32 flags;
	__u64 prod;
	__u8 pad1[24];
	__u64 cons;
	__u8 pad2[56];
};

/**
 * enum ldm_ring_flags - ring state bits
 * @LDM_RING_F_NEED_WAKEUP: a kernel producer waits for free slots; after
 *	moving @cons, call %LDM_IOC_RING_KICK
 */
enum ldm_ring_flags {
	LDM_RING_F_NEED_WAKEUP = 1 << 0,
};

#define LDM_BATCH_MAGIC		0x424d444cU	/* "LDMB" */
#define LDM_BATCH_VERSION	1

/**
 * struct ldm_batch_hdr - header of a batch, authenticated, not encrypted
 * @magic: %LDM_BATCH_MAGIC
 * @version: %LDM_BATCH_VERSION
 * @flags: &enum ldm_batch_flags
 * @round: the round the batch belongs to
 * @nrecords: records in the payload
 * @seq: batch sequence number; the nonce is the session salt (4 bytes,
 *	little-endian) followed by @seq (8 bytes, little-endian), so no two
 *	batches of a session share one
 * @payload_bytes: encrypted bytes following this header; the 16-byte tag
 *	follows them
 * @page_size: page size of the sending domain
 *
 * All fields are little-endian. On the wire and in a ring slot a batch is
 * this header (the AEAD's associated data), the encrypted payload, and the
 * tag. The payload is @nrecords &struct ldm_record, each followed by its
 * data and padded to 8 bytes; a %LDM_BATCH_F_ROUND_END batch instead holds
 * one &struct ldm_round_end.
 */
struct ldm_batch_hdr {
	__le32 magic;
	__le16 version;
	__le16 flags;
	__le32 round;
	__le32 nrecords;
	__le64 seq;
	__le32 payload_bytes;
	__le32 page_size;
};

/**
 * enum ldm_batch_flags - kinds of batches
 * @LDM_BATCH_F_ROUND_END: the last batch of a round, see
 *	&struct ldm_round_end
 */
enum ldm_batch_flags {
	LDM_BATCH_F_ROUND_END = 1 << 0,
};

/**
 * enum ldm_record_kind - how a page travels
 * @LDM_REC_ZERO: the page is all zeroes; no data
 * @LDM_REC_LZJB: LZJB-compressed page
 * @LDM_REC_RAW: the page as it is
 * @LDM_REC_LZ4: LZ4-compressed page (the raw block format)
 */
enum ldm_record_kind {
	LDM_REC_ZERO = 1,
	LDM_REC_LZJB = 2,
	LDM_REC_RAW = 3,
	LDM_REC_LZ4 = 4,
};

/**
 * struct ldm_record - one page in a batch payload
 * @page: page index in the domain
 * @round: the round the page was read in; a receiver applies a record
 *	only if no newer round of the page was applied already
 * @len: bytes of data following the record (0 for %LDM_REC_ZERO, the page
 *	size for %LDM_REC_RAW)
 * @kind: &enum ldm_record_kind
 * @pad: zero
 */
struct ldm_record {
	__le64 page;
	__le32 round;
	__le32 len;
	__u8 kind;
	__u8 pad[7];
};

/**
 * struct ldm_round_end - payload of a %LDM_BATCH_F_ROUND_END batch
 * @batches: batches of the round, this one included
 * @pages: pages sent in the round (records)
 */
struct ldm_round_end {
	__le64 batches;
	__le64 pages;
};

/**
 * struct ldm_harvest - argument of %LDM_IOC_HARVEST
 * @bitmap: user address of a bitmap of u64 words in host byte order, one
 *	bit per page of the domain: bit i (value 1 << i) of word w is page
 *	64 * w + i
 * @bitmap_bytes: size of that buffer; at least 8 * ceil(pages / 64)
 * @dirty: out: number of pages reported
 * @flags: must be 0
 * @pad: must be 0
 *
 * Fills @bitmap with the pages written since the previous harvest and
 * re-arms tracking, so that any write that lands after the call returns
 * is reported by a later harvest. On -EFAULT nothing is lost: the pages
 * stay dirty for the next harvest. Refused (-EBUSY) while the domain has
 * a migration session: its rounds own the dirty bits.
 */
struct ldm_harvest {
	__u64 bitmap;
	__u64 bitmap_bytes;
	__u64 dirty;
	__u32 flags;
	__u32 pad;
};

/**
 * struct ldm_page_set - argument of %LDM_IOC_APPLIED and
 *	%LDM_IOC_RESEND_SKIP: a set of pages, for resuming a migration after
 *	a dropped connection without sending again what the target has
 * @bitmap: user address of a page bitmap laid out as &struct ldm_harvest's
 * @bitmap_bytes: size of that buffer; at least 8 * ceil(pages / 64)
 * @count: out: pages in the set (%LDM_IOC_APPLIED: reported;
 *	%LDM_IOC_RESEND_SKIP: taken out of the round)
 * @round: %LDM_IOC_APPLIED: report the pages whose latest applied record
 *	is of this round or a later one; %LDM_IOC_RESEND_SKIP: must be 0
 * @flags: must be 0
 *
 * Both work only on the open file that owns the session (%LDM_A_MIG_FD),
 * like %LDM_IOC_RING_KICK; on any other file they fail with -EPERM.
 *
 * On the target, %LDM_IOC_APPLIED (receiving session) fills @bitmap; call
 * it once every received batch has been processed. On the source,
 * %LDM_IOC_RESEND_SKIP (sending session, between rounds) removes @bitmap's
 * pages from the last round's pages, so that the next round flagged
 * %LDM_ROUND_F_RESEND sends only what the target lacks, plus what was
 * dirtied since.
 */
struct ldm_page_set {
	__u64 bitmap;
	__u64 bitmap_bytes;
	__u64 count;
	__u32 round;
	__u32 flags;
};

/**
 * struct ldm_session_key - argument of %LDM_IOC_SESSION_KEY
 * @key: the AES-256-GCM batch key, derived per migration (the TLS
 *	exporter, in ldmctl)
 * @salt: the nonce salt: the first 4 bytes of every nonce
 * @flags: must be 0
 *
 * Given once per session, on the open file that owns it, before the first
 * round (sending) or the first kick (receiving). The kernel copies it onto
 * its stack, sets the AEAD's key and wipes the copy; it is never written
 * back, echoed or kept anywhere but in the AEAD's key schedule, which is
 * wiped when the session ends. The caller should wipe its own copy.
 */
struct ldm_session_key {
	__u8 key[LDM_KEY_BYTES];
	__u32 salt;
	__u32 flags;
};

/**
 * struct ldm_session_rekey - argument of %LDM_IOC_SESSION_REKEY
 * @epoch: the key epoch this key is for: the one after the newest the
 *	session has (1 after %LDM_IOC_SESSION_KEY's, which is epoch 0)
 * @key: the AES-256-GCM key of batches @epoch << shift up to the next
 *	epoch's first (shift: %LDM_A_MIG_EPOCH_SHIFT)
 * @salt: the nonce salt of those batches
 * @flags: must be 0
 *
 * Kept, like the first key, only in an AEAD's key schedule. A session
 * holds the keys of its last %LDM_CRYPT_KEYS epochs: older ones are
 * wiped as new ones come.
 */
struct ldm_session_rekey {
	__u64 epoch;
	__u8 key[LDM_KEY_BYTES];
	__u32 salt;
	__u32 flags;
};

/* Pages one %LDM_IOC_POSTCOPY_REQUESTS reports at most. */
#define LDM_POSTCOPY_REQ_MAX	62

/**
 * struct ldm_postcopy_requests - argument of %LDM_IOC_POSTCOPY_REQUESTS
 * @pages: out: pages that faults of the domain wait for, each reported
 *	once however many faults wait for it
 * @count: out: entries of @pages filled, 0 if none is asked for
 * @flags: must be 0
 */
struct ldm_postcopy_requests {
	__u64 pages[LDM_POSTCOPY_REQ_MAX];
	__u32 count;
	__u32 flags;
};

/* Epoch keys a session holds at once: more than a replay window spans. */
#define LDM_CRYPT_KEYS		32

#define LDM_IOC_MAGIC		0xd6
#define LDM_IOC_HARVEST		_IOWR(LDM_IOC_MAGIC, 1, struct ldm_harvest)
/*
 * Tell the kernel the ring moved: a sending session's consumer released
 * slots (needed only when %LDM_RING_F_NEED_WAKEUP is set), or a receiving
 * session's producer filled some. No argument. Only on the open file that
 * owns the session (-EPERM on any other).
 */
#define LDM_IOC_RING_KICK	_IO(LDM_IOC_MAGIC, 2)
#define LDM_IOC_APPLIED		_IOWR(LDM_IOC_MAGIC, 3, struct ldm_page_set)
#define LDM_IOC_RESEND_SKIP	_IOWR(LDM_IOC_MAGIC, 4, struct ldm_page_set)
/*
 * Give a session its key, once (-EBUSY after that), on the open file that
 * owns it (-EPERM on any other); -EINVAL for flags, -EPERM in FIPS mode
 * with a key the FIPS tests refuse. Until then MIGRATE_ROUND and a
 * receiving session's kick fail with -ENOKEY.
 */
#define LDM_IOC_SESSION_KEY	_IOW(LDM_IOC_MAGIC, 5, struct ldm_session_key)
/*
 * Give a session the key of its next epoch, on the open file that owns
 * it: -EINVAL unless @epoch is the one after the newest key (or for
 * flags), -ENOKEY before %LDM_IOC_SESSION_KEY. A sending session fails a
 * batch whose epoch has no key yet with -ENOKEY, and so does a receiving
 * one; so userland gives each epoch's key before the first batch of it
 * (sending: when it takes the last epoch's first batch from the ring).
 */
#define LDM_IOC_SESSION_REKEY	_IOW(LDM_IOC_MAGIC, 6, struct ldm_session_rekey)
/*
 * Post-copy, on a receiving session's owning file: the &struct
 * ldm_page_set's pages are missing (their content comes with round
 * @round's records, which must not have been given to the ring yet), so
 * from now on a fault on one waits (killably) until it arrives, and asks
 * for it; the domain's mappings of those pages are dropped, so that no
 * stale copy is read. Once per domain (-EBUSY after); -EINVAL for flags
 * or a short buffer; @count returns the pages marked. poll() on the file
 * reports EPOLLPRI while faults ask for pages not yet reported by
 * %LDM_IOC_POSTCOPY_REQUESTS.
 */
#define LDM_IOC_POSTCOPY	_IOWR(LDM_IOC_MAGIC, 7, struct ldm_page_set)
#define LDM_IOC_POSTCOPY_REQUESTS _IOWR(LDM_IOC_MAGIC, 8, \
					struct ldm_postcopy_requests)
/*
 * Post-copy, on a sending session's owning file while a round flagged
 * %LDM_ROUND_F_POSTCOPY runs (-EINVAL otherwise): the &struct
 * ldm_postcopy_requests' @count pages (at most %LDM_POSTCOPY_REQ_MAX)
 * are the target's faults' and go ahead of the round's other pages,
 * each sealed into a batch at once. @count returns the pages newly asked
 * for: one outside the round or already on its way is not.
 */
#define LDM_IOC_URGENT		_IOWR(LDM_IOC_MAGIC, 9, \
				      struct ldm_postcopy_requests)
/*
 * Post-copy, on a sending session's owning file: the pages of the round
 * last started (&struct ldm_page_set's @round must name it, -EINVAL
 * otherwise), which are the pages the target lacks once the guest stopped
 * for a post-copy round: the target gives them to %LDM_IOC_POSTCOPY.
 */
#define LDM_IOC_ROUND_PAGES	_IOWR(LDM_IOC_MAGIC, 10, struct ldm_page_set)

#endif /* _UAPI_LINUX_LDM_H */
