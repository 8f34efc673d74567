/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * zmqtt socket shim.
 *
 * Zephyr's zsock_* calls are syscall wrappers that exist only as static inline
 * functions in generated headers, so Rust cannot link to them, and zephyr-sys's
 * bindgen allowlist has no socket API. These few out-of-line functions are the
 * whole C surface the Rust crate uses (rust/zmqtt-zephyr/src/sys.rs declares them).
 * Each returns a non-negative value or a negative errno, never sets errno for Rust
 * to read, and takes only plain integers, pointers and lengths. The few conditions
 * Rust acts on come back as the ZMQTT_ERR_* values below instead of errnos, because
 * errno numbers differ between Zephyr's C libraries and the host's (native_sim).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/net/socket.h>
#include <zephyr/sys/fdtable.h>
#include <zephyr/zvfs/eventfd.h>
#include <zephyr/logging/log.h>

#if defined(CONFIG_ZMQTT_TLS)
#include <zephyr/net/tls_credentials.h>
#endif
#if defined(CONFIG_ZMQTT_WEBSOCKET)
#include <zephyr/net/websocket.h>
#endif

LOG_MODULE_REGISTER(zmqtt, CONFIG_ZMQTT_LOG_LEVEL);

/* Keep in step with rust/zmqtt-zephyr/src/sys.rs. */
#define ZMQTT_ERR_AGAIN    (-1000) /* nothing to read yet */
#define ZMQTT_ERR_DNS      (-1001) /* the host name did not resolve */
#define ZMQTT_ERR_NOTSUP   (-1002) /* no eventfd with offloaded sockets */
#define ZMQTT_ERR_NO_TLS   (-1003) /* TLS asked for in a build without it */
#define ZMQTT_ERR_TLS      (-1004) /* the TLS handshake failed */
#define ZMQTT_ERR_WS       (-1005) /* the WebSocket upgrade failed */

/* Bits of zmqtt_sock_wait()'s result. */
#define ZMQTT_READABLE 1
#define ZMQTT_WOKEN    2
#define ZMQTT_HANGUP   4

static int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* What zmqtt_sock_connect() sets up on top of the TCP connection. */
struct zmqtt_link_opts {
	/* Security tags for TLS; verify < 0 means plain TCP, else TLS_PEER_VERIFY's value. */
	const int *sec_tags;
	size_t n_tags;
	int verify;
	/* NULL-terminated ALPN protocol names offered in the TLS handshake, or NULL. */
	const char *const *alpn;
	/* WebSocket request path ("/mqtt") and Host header value, or NULL for none. */
	const char *ws_path;
	const char *ws_host;
};

#if defined(CONFIG_ZMQTT_WEBSOCKET)
/*
 * The WebSocket layer's receive buffer: it holds the HTTP upgrade response and then the
 * frames read from the socket, for the whole connection (Zephyr keeps the pointer), so
 * it is static. One WebSocket connection at a time (CONFIG_WEBSOCKET_MAX_CONTEXTS).
 */
static uint8_t ws_buf[CONFIG_ZMQTT_WEBSOCKET_BUFFER_SIZE];

/*
 * The socket whose WebSocket buffer may still hold frames after the last read filled the
 * caller's buffer: polling the socket cannot see them (Zephyr polls the TCP/TLS socket
 * underneath), so zmqtt_sock_wait() reports it readable.
 */
static int ws_pending_fd = -1;

/* MQTT over WebSocket: the subprotocol name is "mqtt" (MQTT 3.1.1 §6, 5.0 §6). */
static const char *const ws_headers[] = {
	"Sec-WebSocket-Protocol: mqtt\r\n",
	NULL,
};

/* Upgrades the connected socket; the WebSocket descriptor, or a negative errno. */
static int ws_upgrade(int fd, const struct zmqtt_link_opts *opts)
{
	struct websocket_request req = {
		.host = opts->ws_host,
		.url = opts->ws_path,
		.optional_headers = (const char **)ws_headers,
		.tmp_buf = ws_buf,
		.tmp_buf_len = sizeof(ws_buf),
	};
	int ws = websocket_connect(fd, &req, CONFIG_NET_SOCKETS_CONNECT_TIMEOUT, NULL);

	if (ws < 0) {
		/* websocket_connect() reports a refused or malformed upgrade as ECONNABORTED. */
		LOG_WRN("WebSocket upgrade to %s%s failed (%d)", opts->ws_host, opts->ws_path, ws);
		return ws == -ECONNABORTED ? ZMQTT_ERR_WS : ws;
	}
	ws_pending_fd = -1;
	return ws;
}
#endif

static int connect_one(const struct zsock_addrinfo *ai, const char *host,
		       const struct zmqtt_link_opts *opts, int *inner)
{
	const int *sec_tags = opts->sec_tags;
	size_t n_tags = opts->n_tags;
	int verify = opts->verify;

	int proto = IPPROTO_TCP;

#if defined(CONFIG_ZMQTT_TLS)
	if (verify >= 0) {
		proto = IPPROTO_TLS_1_2;
	}
#else
	if (verify >= 0) {
		return ZMQTT_ERR_NO_TLS;
	}
#endif

	int fd = zsock_socket(ai->ai_family, SOCK_STREAM, proto);

	if (fd < 0) {
		return neg_errno();
	}

#if defined(CONFIG_ZMQTT_TLS)
	if (verify >= 0) {
		/* sec_tag_t is an int: the list goes to the socket as it is. */
		if (zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, sec_tags,
				     n_tags * sizeof(sec_tag_t)) < 0 ||
		    /* SNI, and the name the certificate must carry. */
		    zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, host, strlen(host) + 1) < 0 ||
		    zsock_setsockopt(fd, SOL_TLS, TLS_PEER_VERIFY, &verify, sizeof(verify)) < 0) {
			int err = neg_errno();

			zsock_close(fd);
			return err;
		}
#if defined(CONFIG_ZMQTT_TLS_ALPN)
		size_t n_alpn = 0;

		while (opts->alpn != NULL && opts->alpn[n_alpn] != NULL) {
			n_alpn++;
		}
		/* Zephyr copies the array (not the names, which are static) and NULL-terminates it. */
		if (n_alpn > 0 && zsock_setsockopt(fd, SOL_TLS, TLS_ALPN_LIST, opts->alpn,
						   n_alpn * sizeof(char *)) < 0) {
			int err = neg_errno();

			LOG_WRN("cannot offer %u ALPN protocols (%d)", (unsigned int)n_alpn, err);
			zsock_close(fd);
			return err;
		}
#endif
#if defined(CONFIG_ZMQTT_TLS_SESSION_CACHE)
		/*
		 * Zephyr keeps the session of the last handshake with this peer address and
		 * offers it on the next connect, so a reconnect skips the certificate exchange
		 * and the key agreement when the broker still has it (abbreviated handshake).
		 */
		int cache = TLS_SESSION_CACHE_ENABLED;

		if (zsock_setsockopt(fd, SOL_TLS, TLS_SESSION_CACHE, &cache, sizeof(cache)) < 0) {
			int err = neg_errno();

			zsock_close(fd);
			return err;
		}
#endif
	}
#else
	ARG_UNUSED(host);
	ARG_UNUSED(sec_tags);
	ARG_UNUSED(n_tags);
#endif

	/*
	 * A blocking connect: Zephyr bounds it (and the TLS handshake, which Zephyr runs
	 * blocking even on a non-blocking socket) by CONFIG_NET_SOCKETS_CONNECT_TIMEOUT.
	 */
	if (zsock_connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		/* Zephyr reports every failed handshake as ECONNABORTED (and logs mbedTLS's code). */
		int err = (verify >= 0 && errno == ECONNABORTED) ? ZMQTT_ERR_TLS : neg_errno();

		zsock_close(fd);
		return err;
	}

	int link = fd;

#if defined(CONFIG_ZMQTT_WEBSOCKET)
	/* The upgrade runs blocking, like the handshake, bounded by the same timeout. */
	if (opts->ws_path != NULL) {
		link = ws_upgrade(fd, opts);
		if (link < 0) {
			zsock_close(fd);
			return link;
		}
	}
#endif

	/*
	 * From here on reads never block: the client thread waits in zmqtt_sock_wait().
	 * (A WebSocket descriptor passes fcntl() on to the socket underneath.)
	 */
	int flags = zsock_fcntl(fd, ZVFS_F_GETFL, 0);

	if (flags < 0 || zsock_fcntl(fd, ZVFS_F_SETFL, flags | ZVFS_O_NONBLOCK) < 0) {
		int err = neg_errno();

		if (link != fd) {
			zsock_close(link);
		}
		zsock_close(fd);
		return err;
	}

	*inner = link != fd ? fd : -1;
	return link;
}

/*
 * Resolves host (a name, IPv4 or IPv6 literal) and connects to the first address
 * that accepts. verify < 0 means plain TCP; otherwise TLS with that TLS_PEER_VERIFY
 * value, the given security tags and ALPN names (NULL-terminated, or NULL). A ws_path
 * (with ws_host, the Host header) upgrades the connection to a WebSocket. Returns the
 * descriptor to send and receive on (and in *inner the TCP/TLS socket under a
 * WebSocket, else -1), ZMQTT_ERR_DNS, or the negative errno of the last address tried.
 */
#if defined(CONFIG_ZMQTT_WEBSOCKET) || defined(CONFIG_ZMQTT_TLS_ALPN)
int zmqtt_sock_connect(const char *host, uint16_t port, const int *sec_tags, size_t n_tags,
		       int verify, const char *const *alpn, const char *ws_path,
		       const char *ws_host, int *inner)
#else
/* Without WebSocket and ALPN the extra arguments are not passed (or compiled) at all. */
int zmqtt_sock_connect(const char *host, uint16_t port, const int *sec_tags, size_t n_tags,
		       int verify)
#endif
{
#if !defined(CONFIG_ZMQTT_WEBSOCKET) && !defined(CONFIG_ZMQTT_TLS_ALPN)
	const char *const *alpn = NULL;
	const char *ws_path = NULL;
	const char *ws_host = NULL;
	int inner_unused;
	int *inner = &inner_unused;
#endif
	const struct zmqtt_link_opts opts = {
		.sec_tags = sec_tags,
		.n_tags = n_tags,
		.verify = verify,
		.alpn = alpn,
		.ws_path = ws_path,
		.ws_host = ws_host,
	};
	struct zsock_addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_family = AF_UNSPEC,
	};
	struct zsock_addrinfo *res = NULL;
	char port_str[6];

	snprintf(port_str, sizeof(port_str), "%u", port);
	LOG_INF("connecting to %s:%s", host, port_str);

	int rc = zsock_getaddrinfo(host, port_str, &hints, &res);

	if (rc != 0) {
		LOG_WRN("cannot resolve %s (getaddrinfo %d)", host, rc);
		return ZMQTT_ERR_DNS;
	}

	int result = -EHOSTUNREACH;

	*inner = -1;
#if !defined(CONFIG_ZMQTT_WEBSOCKET)
	if (ws_path != NULL) {
		return -ENOTSUP;
	}
#endif

	for (struct zsock_addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		result = connect_one(ai, host, &opts, inner);
		if (result >= 0) {
			break;
		}
	}
	zsock_freeaddrinfo(res);
	return result;
}

/* Writes all of buf, waiting for room as needed. Returns len or a negative errno. */
int zmqtt_sock_send(int fd, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = zsock_send(fd, buf + done, len - done, 0);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				return neg_errno();
			}
			struct zsock_pollfd pfd = {.fd = fd, .events = ZSOCK_POLLOUT};

			if (zsock_poll(&pfd, 1, CONFIG_NET_SOCKETS_CONNECT_TIMEOUT) <= 0) {
				return -ETIMEDOUT;
			}
			continue;
		}
		done += (size_t)n;
	}
	return (int)len;
}

/* Reads what is there without waiting: bytes read, 0 at end of stream, ZMQTT_ERR_AGAIN if none. */
int zmqtt_sock_recv(int fd, uint8_t *buf, size_t len)
{
	ssize_t n = zsock_recv(fd, buf, len, ZSOCK_MSG_DONTWAIT);

	if (n < 0) {
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? ZMQTT_ERR_AGAIN : neg_errno();
	}
	return (int)n;
}

int zmqtt_sock_close(int fd)
{
	return zsock_close(fd) < 0 ? neg_errno() : 0;
}

#if defined(CONFIG_ZMQTT_WEBSOCKET)
/*
 * Writes all of buf as binary WebSocket frames (MQTT 3.1.1 §6: never text frames, which
 * a plain send() on the WebSocket descriptor would make), masked as a client must, of at
 * most CONFIG_ZMQTT_WEBSOCKET_BUFFER_SIZE bytes each: Zephyr copies each frame to the
 * heap to mask it, and a packet may span frames (§6). Returns len or a negative errno.
 */
int zmqtt_ws_send(int ws, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t n = MIN(len - done, (size_t)CONFIG_ZMQTT_WEBSOCKET_BUFFER_SIZE);
		/* Waits for room in the socket (non-blocking underneath) up to the timeout. */
		int rc = websocket_send_msg(ws, buf + done, n, WEBSOCKET_OPCODE_DATA_BINARY, true,
					    true, CONFIG_NET_SOCKETS_CONNECT_TIMEOUT);

		if (rc < 0) {
			return rc;
		}
		done += n;
	}
	return (int)len;
}

/*
 * Reads the payload of the frames that have arrived, without waiting, into buf: bytes
 * read, 0 once the broker closed (a close frame or end of stream), ZMQTT_ERR_AGAIN if
 * none. Zephyr's websocket_recv_msg() returns at most one frame per call and keeps what
 * follows in ws_buf, where polling the socket cannot see it, so this reads on until
 * nothing is left or buf is full (then zmqtt_sock_wait() reports the rest as readable).
 * A ping is answered with a pong and its payload dropped.
 */
int zmqtt_ws_recv(int ws, uint8_t *buf, size_t len)
{
	size_t got = 0;

	/*
	 * The first read may wait a little: the caller reads when the socket polled readable,
	 * but websocket_recv_msg() polls the socket again, and native_sim's offloaded sockets
	 * learn of readiness only at their next host poll (about a millisecond later), so a
	 * zero timeout there would always find nothing. On Zephyr's own stack the poll
	 * returns at once. Later reads take what is left without waiting.
	 */
	int32_t wait_ms = 20;

	ws_pending_fd = -1;
	while (got < len) {
		/* Left as it is when a frame is not whole yet: then its bytes are data. */
		uint32_t type = WEBSOCKET_FLAG_BINARY;
		uint64_t remaining = 0;
		int n = websocket_recv_msg(ws, buf + got, len - got, &type, &remaining, wait_ms);

		wait_ms = 0;

		if (n == -EAGAIN) {
			break;
		}
		if (n == -ENOTCONN || (n >= 0 && (type & WEBSOCKET_FLAG_CLOSE))) {
			/* What came before the close is data; the next read reports the end. */
			return got > 0 ? (int)got : 0;
		}
		if (n < 0) {
			return got > 0 ? (int)got : n;
		}
		if (type & WEBSOCKET_FLAG_PING) {
			(void)websocket_send_msg(ws, buf + got, n, WEBSOCKET_OPCODE_PONG, true, true,
						 CONFIG_NET_SOCKETS_CONNECT_TIMEOUT);
			continue;
		}
		if (type & WEBSOCKET_FLAG_PONG) {
			continue;
		}
		got += n;
	}
	if (got == len) {
		ws_pending_fd = ws;
	}
	return got > 0 ? (int)got : ZMQTT_ERR_AGAIN;
}
#endif

/*
 * An eventfd that other threads write to wake the client thread out of
 * zmqtt_sock_wait(). Offloaded sockets (native_sim's host sockets) cannot be polled
 * together with Zephyr's own file descriptors, so there the caller waits in short
 * slices instead and this returns ZMQTT_ERR_NOTSUP.
 */
int zmqtt_wake_new(void)
{
#if defined(CONFIG_NET_NATIVE_OFFLOADED_SOCKETS)
	return ZMQTT_ERR_NOTSUP;
#else
	int efd = zvfs_eventfd(0, ZVFS_EFD_NONBLOCK);

	return efd < 0 ? neg_errno() : efd;
#endif
}

int zmqtt_wake_signal(int efd)
{
	return zvfs_eventfd_write(efd, 1) < 0 ? neg_errno() : 0;
}

/*
 * Waits until fd is readable (or closed), efd was signalled, or timeout_ms passed
 * (-1: forever). Either descriptor may be -1. Returns ZMQTT_* bits, 0 on timeout,
 * or a negative errno.
 */
int zmqtt_sock_wait(int fd, int efd, int32_t timeout_ms)
{
	struct zsock_pollfd pfds[2];
	int n = 0;
	int sock_ix = -1;
	int wake_ix = -1;

	if (fd >= 0) {
		sock_ix = n;
		pfds[n++] = (struct zsock_pollfd){.fd = fd, .events = ZSOCK_POLLIN};
	}
	if (efd >= 0) {
		wake_ix = n;
		pfds[n++] = (struct zsock_pollfd){.fd = efd, .events = ZSOCK_POLLIN};
	}
	if (n == 0) {
		k_msleep(timeout_ms < 0 ? 1000 : timeout_ms);
		return 0;
	}
#if defined(CONFIG_ZMQTT_WEBSOCKET)
	if (fd >= 0 && fd == ws_pending_fd) {
		/* Frames wait in the WebSocket buffer: read them before sleeping. */
		return ZMQTT_READABLE;
	}
#endif

	int rc = zsock_poll(pfds, n, timeout_ms);

	if (rc < 0) {
		return neg_errno();
	}

	int bits = 0;

	if (sock_ix >= 0) {
		if (pfds[sock_ix].revents & ZSOCK_POLLIN) {
			bits |= ZMQTT_READABLE;
		}
		if (pfds[sock_ix].revents & (ZSOCK_POLLHUP | ZSOCK_POLLERR | ZSOCK_POLLNVAL)) {
			bits |= ZMQTT_HANGUP;
		}
	}
	if (wake_ix >= 0 && (pfds[wake_ix].revents & ZSOCK_POLLIN)) {
		zvfs_eventfd_t value;

		(void)zvfs_eventfd_read(efd, &value);
		bits |= ZMQTT_WOKEN;
	}
	return bits;
}

#if defined(CONFIG_ZMQTT_TLS)
/* Credential kinds as Rust numbers them: CA certificate, own certificate, private key. */
static const enum tls_credential_type credential_types[] = {
	TLS_CREDENTIAL_CA_CERTIFICATE,
	TLS_CREDENTIAL_SERVER_CERTIFICATE, /* Zephyr's name for "own certificate" */
	TLS_CREDENTIAL_PRIVATE_KEY,
};

/* cred must stay valid until deleted: Zephyr keeps the pointer, not a copy. */
int zmqtt_tls_credential_add(int tag, int kind, const void *cred, size_t len)
{
	if (kind < 0 || kind >= ARRAY_SIZE(credential_types)) {
		return -EINVAL;
	}
	return tls_credential_add(tag, credential_types[kind], cred, len);
}

int zmqtt_tls_credential_delete(int tag, int kind)
{
	if (kind < 0 || kind >= ARRAY_SIZE(credential_types)) {
		return -EINVAL;
	}
	return tls_credential_delete(tag, credential_types[kind]);
}
#endif

/*
 * Rust's log records, already formatted, go to Zephyr logging under the zmqtt
 * module, so CONFIG_ZMQTT_LOG_LEVEL filters them like any C module's.
 * level: 1 error, 2 warning, 3 info, 4 debug.
 */
void zmqtt_log(int level, const char *msg)
{
	/*
	 * `msg` is NUL-terminated and formatted with plain %s: deferred logging copies a
	 * %s argument by strlen() and ignores a precision (a cbprintf limitation), so
	 * "%.*s" on an unterminated buffer read past its end.
	 */
	switch (level) {
	case 1:
		LOG_ERR("%s", msg);
		break;
	case 2:
		LOG_WRN("%s", msg);
		break;
	case 3:
		LOG_INF("%s", msg);
		break;
	default:
		LOG_DBG("%s", msg);
		break;
	}
}

/*
 * zmqtt's own error, warning and info lines (the core's `log-c` feature, and the glue's):
 * a static printf format from Rust's .rodata, NUL-terminated, using at most %d, %u and %x
 * (checked when Rust compiles), and the two ints it may name; C ignores extra arguments.
 * Nothing is formatted here: Zephyr logging packs fmt, a and b and formats them later in
 * its own thread (deferred mode), under this module's level like any C module's lines.
 * LOG_ERR/WRN/INF cannot take a format that is not a literal (they paste text onto it) nor
 * a level that is not one, so this builds the message as they do in their runtime path.
 */
#if defined(CONFIG_LOG)
void zmqtt_log_printf(int level, const char *fmt, int a, int b)
{
	if (!Z_LOG_CONST_LEVEL_CHECK(level) ||
	    !Z_LOG_DYNAMIC_LEVEL_CHECK(level, Z_LOG_CURRENT_DATA())) {
		return;
	}
	if (IS_ENABLED(CONFIG_LOG_MODE_MINIMAL)) {
		printk("%c: ", "EWID"[level - 1]);
		printk(fmt, a, b);
		printk("\n");
		return;
	}
	z_log_msg_runtime_create(Z_LOG_LOCAL_DOMAIN_ID, (const void *)Z_LOG_CURRENT_DATA(),
				 level, NULL, 0, Z_LOG_MSG_CBPRINTF_FLAGS(0), fmt, a, b);
}
#endif

/*
 * Names the calling thread "zmqtt" (with CONFIG_THREAD_NAME), so the shell's
 * `kernel thread list`, the thread analyzer and debuggers show which one is ours.
 */
void zmqtt_thread_name_self(void)
{
	(void)k_thread_name_set(NULL, "zmqtt");
}

/* Milliseconds since boot: the engine's monotonic clock. */
int64_t zmqtt_uptime_ms(void)
{
	return k_uptime_get();
}
