// Package s3 is the S3 backend: each storage's entries are the objects of
// one bucket on MinIO, AWS or any S3-compatible server (versitygw is tested
// too), through minio-go. Register makes it available as volume kind "s3";
// import it for that side effect:
//
//	import _ "github.com/zmesh/zmesh/store/backend/s3"
//
// # Configuration
//
// Volume options (the volume's YAML map):
//
//	url: http://127.0.0.1:9000   # any S3 endpoint, http or https; or leave it out for AWS:
//	region: eu-west-1            # AWS region (endpoint s3.<region>.amazonaws.com); default us-east-1
//	access_key: ${S3_ACCESS}     # with secret_key; when both are absent: AWS_ACCESS_KEY_ID and
//	secret_key: ${S3_SECRET}     #   AWS_SECRET_ACCESS_KEY, MINIO_ROOT_USER and MINIO_ROOT_PASSWORD,
//	                             #   then ~/.aws/credentials
//	private:                     # or, Zenoh's shape, the two keys under private:
//	  access_key: ${S3_ACCESS}   #   (not both places for one key)
//	  secret_key: ${S3_SECRET}
//	tls:                         # extra trusted root CAs for https (also accepted under tls.private)
//	  root_ca_certificate_file: /etc/zmesh/ca.pem
//	  root_ca_certificate_base64: LS0tLS1CRUdJTi...   # the PEM file, base64-encoded
//	max_retries: 3               # minio-go's tries per request (broken connection, 503)
//	scan_concurrency: 16         # objects read at once by Scan
//
// Storage options (the storage's `volume:` map besides its id):
//
//	bucket: zmesh-demo           # required; one bucket per storage
//	create_bucket: true          # create the bucket if missing (else Open fails: ErrNoBucket)
//	reuse_bucket: true           # accept an existing bucket (else Open fails: ErrBucketExists)
//	read_only: false             # refuse Apply and Collect; never create the bucket
//	on_closure: do_nothing       # or destroy_bucket: delete every object and the bucket on Close
//
// Open checks the bucket with HeadBucket (no CreateBucket permission needed
// to reuse one) and reports wrong credentials, a missing bucket and an
// unreachable server each as one clear error (ErrCredentials with the
// server's code, ErrNoBucket, backend.ErrBackend). NewVolume reports a CA
// file that cannot be read or holds no certificate.
//
// # Object names
//
// A key maps to an object name by a reversible, prefix-preserving
// encoding in which no object name is a "folder" of another. S3 servers
// that store objects as files need this: with objects "a" and "a/b", MinIO
// leaves "a/b" out of recursive listings and versitygw refuses the second
// upload (a file cannot be a directory); versitygw also rewrites "//" and
// "/./", and both refuse names ending in "/" and segments longer than 255
// bytes. Zenoh keys "a" and "a/b" are both valid, and a key may be any
// UTF-8 string (backend.CheckKey), "" included. The rules:
//
//   - The bytes A-Z, a-z, 0-9, '-' and '.' stand for themselves.
//   - A '/' of the key becomes "_/": the segment ends with '_'.
//   - Every other byte becomes '_' and two upper-case hex digits ("_25"
//     for '%', "_5F" for '_', "_C3_A9" for "é").
//   - When a segment already holds 253 bytes of codes, "__/" (a soft
//     break, standing for nothing) starts a new one before the next code.
//   - The name ends with '!', which appears nowhere else.
//
// Examples:
//
//	key                 object name
//	""                  "!"
//	"a"                 "a!"
//	"a/b"               "a_/b!"
//	"ab"                "ab!"
//	"a/b/c"             "a_/b_/c!"
//	"a//b"              "a_/_/b!"
//	"a/"                "a_/!"
//	"../x"              ".._/x!"
//	"50%"               "50_25!"
//	"my_key"            "my_5Fkey!"
//	"日本/語"            "_E6_97_A5_E6_9C_AC_/_E8_AA_9E!"
//	300 × "x"           253 × "x" + "__/" + 47 × "x" + "!"
//
// Why it works: every segment ends with a marker ('_', "__" or '!'), so no
// segment is empty, "." or ".."; segments hold at most 255 bytes; and since
// '!' only ends a name, a name followed by '/' never starts another name.
// The encoder decides each code from the bytes before it only, so the
// encoding of a prefix p is a prefix of the name of every key starting
// with p, and (the codes being prefix-free) of no other: Scan(p) lists
// exactly the object-name prefix of p, a byte prefix that need not end at
// a chunk boundary. A key of backend.PortableKeyLen bytes needs at most
// 778 bytes (three per key byte, at most three soft breaks, the '!'),
// within S3's 1024; longer keys whose names would not fit are refused with
// backend.ErrInvalidKey. Names are plain ASCII that URL encoders, S3
// servers and file systems leave alone: no '%' (no double-decoding
// accident can change a name), no space, no byte above 0x7f. Letters keep
// their case, as S3 names are case-sensitive (a MinIO on a case-insensitive
// file system would merge "A" and "a"). Objects whose names the encoding
// cannot produce are ignored. ObjectName and KeyOf expose the mapping.
//
// # Objects
//
// An object holds one entry: a 34-byte header (magic, version, tombstone
// flag, timestamp) then the value; user metadata repeats the timestamp
// (hlc text form), the tombstone flag and the encoding, for listings and
// HEAD. See format.go for the layout. A delete is an object too (a
// tombstone), so an older put arriving late cannot resurrect the key;
// Collect removes old tombstones.
//
// # Last writer wins between servers
//
// Several zmesh servers may serve one storage from the same bucket. Apply
// is a compare-and-swap on the object's ETag: it reads the current
// timestamp and ETag (HEAD, or a cache of recently seen ETags), returns
// false if the object is at least as new, and otherwise PUTs with
// If-Match on that ETag, or If-None-Match: * when there is no object. A
// 412 Precondition Failed means another server wrote meanwhile: read again
// and retry. The header in the body makes each write's ETag unique, so an
// ETag cannot come back to an older state (no ABA). MinIO and versitygw
// both honour If-Match and If-None-Match on PUT (tests prove it, and that
// two stores writing one bucket converge on the newest timestamp); so does
// AWS S3. Inside one process writers of a key also queue on a per-key
// lock, so conflicts come only from other processes.
//
// Collect removes a tombstone with DELETE If-Match on the ETag it has just
// read, so that a newer write stored meanwhile by another server survives.
// versitygw and AWS honour that condition; MinIO ignores it (tested), which
// the store detects with a probe object at its first Collect and logs: on
// MinIO a write landing between the tombstone's HEAD and its DELETE (one
// round trip, for a key deleted longer ago than the collection lifespan)
// would be lost.
//
// Wildcard queries use Scan: with ScanMeta on MinIO the listing itself
// carries the metadata (minio-go's WithMetadata), elsewhere Scan reads
// objects (HEAD or GET) ScanConcurrency at a time.
//
// # Large values
//
// Store implements backend.Streamer. PutStream writes the same object as
// Apply (header, then the value; the value's BLAKE3 hash in the
// Zmesh-Blake3 metadata) from a reader: up to one part (MinPartSize,
// 8 MiB) as one conditional PUT, larger as a multipart upload read
// through one part-sized buffer, completed with the same If-Match /
// If-None-Match condition as Apply's PUT (MinIO and versitygw refuse a
// completion whose condition fails; tested). The object appears whole
// when the upload completes, or not at all; a failed or cancelled put
// aborts its upload. OpenStream is one ranged GET whose body goes to the
// caller as it arrives. Get and Scan read values whole only up to
// MaxGetSize (64 MiB): Get refuses a larger one with backend.ErrTooLarge,
// Scan in ScanValues mode reports it Omitted (backend.Entry) from the
// object's metadata, its body unread.
//
// # Distributed MinIO
//
// Past one machine the data tier is a distributed MinIO: several
// `minio server` processes, each with its own drives, given the same list
// of every node's drives, erasure-code each object across them. With four
// nodes of one drive each, an object is two data and two parity shards:
// writes need three drives and reads two, so the cluster keeps working
// with one node down. Point the volume's url at any node (or at a load
// balancer in front of them all); every zmesh server may use a different
// one. For example, four nodes on one host (ports 9001-9004):
//
//	minio server --address :9001 http://127.0.0.1:9001/srv/drive1 \
//	    http://127.0.0.1:9002/srv/drive2 http://127.0.0.1:9003/srv/drive3 \
//	    http://127.0.0.1:9004/srv/drive4
//
// (and the same with --address :9002 and so on; MinIO's {a...b} ellipses
// would not do here, since two of them in one argument multiply into 16
// drives). In a container MinIO
// also needs MINIO_CI_CD=1 when the drives are on the root file system
// and _MINIO_SERVER_LOCAL=127.0.0.1:<its port> when every node is on
// 127.0.0.1. TestDistributedMinIONodeKilled runs such a cluster, kills a
// node during a multipart PutStream and checks that the put completes or
// fails cleanly, that no torn object is ever visible, and that puts go on
// with three nodes.
package s3
