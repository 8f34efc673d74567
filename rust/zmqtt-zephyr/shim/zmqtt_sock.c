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

LOG_MODULE_REGISTER(zmqtt, CONFIG_ZMQTT_LOG_LEVEL);

/* Keep in step with rust/zmqtt-zephyr/src/sys.rs. */
#define ZMQTT_ERR_AGAIN    (-1000) /* nothing to read yet */
#define ZMQTT_ERR_DNS      (-1001) /* the host name did not resolve */
#define ZMQTT_ERR_NOTSUP   (-1002) /* no eventfd with offloaded sockets */
#define ZMQTT_ERR_NO_TLS   (-1003) /* TLS asked for in a build without it */
#define ZMQTT_ERR_TLS      (-1004) /* the TLS handshake failed */

/* Bits of zmqtt_sock_wait()'s result. */
#define ZMQTT_READABLE 1
#define ZMQTT_WOKEN    2
#define ZMQTT_HANGUP   4

static int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

static int connect_one(const struct zsock_addrinfo *ai, const char *host, const int *sec_tags,
		       size_t n_tags, int verify)
{
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

	/* From here on reads never block: the client thread waits in zmqtt_sock_wait(). */
	int flags = zsock_fcntl(fd, ZVFS_F_GETFL, 0);

	if (flags < 0 || zsock_fcntl(fd, ZVFS_F_SETFL, flags | ZVFS_O_NONBLOCK) < 0) {
		int err = neg_errno();

		zsock_close(fd);
		return err;
	}

	return fd;
}

/*
 * Resolves host (a name, IPv4 or IPv6 literal) and connects to the first address
 * that accepts. verify < 0 means plain TCP; otherwise TLS with that TLS_PEER_VERIFY
 * value and the given security tags. Returns the socket, ZMQTT_ERR_DNS, or the
 * negative errno of the last address tried.
 */
int zmqtt_sock_connect(const char *host, uint16_t port, const int *sec_tags, size_t n_tags,
		       int verify)
{
	struct zsock_addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_family = AF_UNSPEC,
	};
	struct zsock_addrinfo *res = NULL;
	char port_str[6];

	snprintf(port_str, sizeof(port_str), "%u", port);

	int rc = zsock_getaddrinfo(host, port_str, &hints, &res);

	if (rc != 0) {
		LOG_WRN("cannot resolve %s (getaddrinfo %d)", host, rc);
		return ZMQTT_ERR_DNS;
	}

	int result = -EHOSTUNREACH;

	for (struct zsock_addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		result = connect_one(ai, host, sec_tags, n_tags, verify);
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
