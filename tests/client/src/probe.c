/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What the test firmware reads back from Zephyr about the client, to show that
 * CONFIG_ZMQTT_THREAD_* and CONFIG_ZMQTT_TLS_SEC_TAG_BASE took effect: the kernel's
 * view of the client thread, and the credential store. Called from the Rust test
 * firmware (src/lib.rs), which prints nothing of its own about these. And how much of
 * the main and client threads' stacks the firmware has used.
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

/*
 * The stack use of the main thread and of the client thread: the bytes never written
 * since boot (CONFIG_INIT_STACKS fills each stack with a pattern, k_thread_stack_space_get
 * finds where it ends), for pytest/test_stack.py, which asserts they are above a margin.
 */
static void stack_of(const struct k_thread *thread, void *data)
{
	const char *name = k_thread_name_get((k_tid_t)thread);
	size_t unused = 0;

	ARG_UNUSED(data);
	if (name == NULL || (strcmp(name, "main") != 0 && strcmp(name, "zmqtt") != 0)) {
		return;
	}
	if (k_thread_stack_space_get(thread, &unused) != 0) {
		printk("zmqtt-test: stack %s unknown\n", name);
		return;
	}
	printk("zmqtt-test: stack %s size %zu unused %zu\n", name, thread->stack_info.size,
	       unused);
}

void app_probe_stacks(void)
{
	k_thread_foreach(stack_of, NULL);
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
