/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What the test firmware reads back from Zephyr about the client, to show that
 * CONFIG_ZMQTT_THREAD_* and CONFIG_ZMQTT_TLS_SEC_TAG_BASE took effect: the kernel's
 * view of the client thread, and the credential store. Called from the Rust test
 * firmware (src/lib.rs), which prints nothing of its own about these.
 */
#include <string.h>
#include <zephyr/kernel.h>
#include <zephyr/sys/printk.h>

struct found {
	int priority;
	size_t stack_size;
	bool seen;
};

static void visit(const struct k_thread *thread, void *data)
{
	struct found *f = data;
	const char *name = k_thread_name_get((k_tid_t)thread);

	if (name != NULL && strcmp(name, "zmqtt") == 0) {
		f->priority = k_thread_priority_get((k_tid_t)thread);
		f->stack_size = thread->stack_info.size;
		f->seen = true;
	}
}

void app_probe_client_thread(void)
{
	struct found f = {0};

	k_thread_foreach(visit, &f);
	if (f.seen) {
		printk("zmqtt-test: thread zmqtt priority %d stack %zu\n", f.priority,
		       f.stack_size);
	} else {
		printk("zmqtt-test: thread zmqtt not found\n");
	}
}

#ifdef CONFIG_TLS_CREDENTIALS
#include <zephyr/net/tls_credentials.h>

static const char *presence(sec_tag_t tag, enum tls_credential_type type)
{
	uint8_t buf[1];
	size_t len = sizeof(buf);
	int ret = tls_credential_get(tag, type, buf, &len);

	/* -EFBIG: there, but larger than our one-byte buffer. */
	return (ret == 0 || ret == -EFBIG) ? "yes" : "no";
}

void app_probe_sec_tag(int tag)
{
	printk("zmqtt-test: sec tag %d ca %s certificate %s key %s\n", tag,
	       presence(tag, TLS_CREDENTIAL_CA_CERTIFICATE),
	       presence(tag, TLS_CREDENTIAL_SERVER_CERTIFICATE),
	       presence(tag, TLS_CREDENTIAL_PRIVATE_KEY));
}
#endif
