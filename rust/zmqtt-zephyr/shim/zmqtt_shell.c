/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The `mqtt` shell command: mqtt status | pub <topic> <message> [qos] |
 * sub <filter> [qos] | unsub <filter> | fw status (with CONFIG_ZMQTT_FOTA). Argument parsing and printing are here; the
 * client work is in Rust (rust/zmqtt-zephyr/src/shell.rs).
 */
#include <stdlib.h>
#include <string.h>

#include <zephyr/shell/shell.h>

size_t zmqtt_shell_status(char *buf, size_t len);
int zmqtt_shell_publish(const char *topic, size_t topic_len, const char *msg, size_t msg_len,
			int qos);
int zmqtt_shell_subscribe(const char *filter, size_t len, int qos);
int zmqtt_shell_unsubscribe(const char *filter, size_t len);
size_t zmqtt_shell_error(int code, char *buf, size_t len);

static int report(const struct shell *sh, const char *what, int rc)
{
	if (rc < 0) {
		char text[80];

		zmqtt_shell_error(rc, text, sizeof(text));
		shell_error(sh, "%s failed: %d (%s)", what, rc, text);
		return -EINVAL;
	}
	shell_print(sh, "%s: mid %d", what, rc);
	return 0;
}

static int parse_qos(const struct shell *sh, const char *text, int *qos)
{
	char *end;
	long value = strtol(text, &end, 10);

	if (*end != '\0' || value < 0 || value > 2) {
		shell_error(sh, "QoS must be 0, 1 or 2");
		return -EINVAL;
	}
	*qos = (int)value;
	return 0;
}

/* Prints the line a Rust function writes (status lines). */
static int print_line(const struct shell *sh, size_t (*write_line)(char *buf, size_t len))
{
	char line[160];
	size_t n = write_line(line, sizeof(line));

	shell_print(sh, "%.*s", (int)n, line);
	return 0;
}

static int cmd_status(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	ARG_UNUSED(argv);
	return print_line(sh, zmqtt_shell_status);
}

static int cmd_pub(const struct shell *sh, size_t argc, char **argv)
{
	int qos = 0;

	if (argc > 3 && parse_qos(sh, argv[3], &qos) < 0) {
		return -EINVAL;
	}
	return report(sh, "publish",
		      zmqtt_shell_publish(argv[1], strlen(argv[1]), argv[2], strlen(argv[2]), qos));
}

static int cmd_sub(const struct shell *sh, size_t argc, char **argv)
{
	int qos = 0;

	if (argc > 2 && parse_qos(sh, argv[2], &qos) < 0) {
		return -EINVAL;
	}
	return report(sh, "subscribe", zmqtt_shell_subscribe(argv[1], strlen(argv[1]), qos));
}

static int cmd_unsub(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	return report(sh, "unsubscribe", zmqtt_shell_unsubscribe(argv[1], strlen(argv[1])));
}

#if defined(CONFIG_ZMQTT_FOTA)
size_t zmqtt_shell_fw_status(char *buf, size_t len);

static int cmd_fw_status(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	ARG_UNUSED(argv);
	return print_line(sh, zmqtt_shell_fw_status);
}

SHELL_STATIC_SUBCMD_SET_CREATE(zmqtt_fw_cmds,
	SHELL_CMD_ARG(status, NULL, "Firmware update state and counters", cmd_fw_status, 1, 0),
	SHELL_SUBCMD_SET_END);
/* One more entry in the `mqtt` list, comma included; nothing at all without FOTA
 * (SHELL_COND_CMD would still leave an empty entry behind). */
#define ZMQTT_FW_CMD SHELL_CMD(fw, &zmqtt_fw_cmds, "Firmware update: fw status", NULL),
#else
#define ZMQTT_FW_CMD
#endif

SHELL_STATIC_SUBCMD_SET_CREATE(zmqtt_cmds,
	SHELL_CMD_ARG(status, NULL, "Connection state and pending messages", cmd_status, 1, 0),
	SHELL_CMD_ARG(pub, NULL, "Publish: pub <topic> <message> [qos]", cmd_pub, 3, 1),
	SHELL_CMD_ARG(sub, NULL, "Subscribe: sub <filter> [qos]", cmd_sub, 2, 1),
	SHELL_CMD_ARG(unsub, NULL, "Unsubscribe: unsub <filter>", cmd_unsub, 2, 0),
	ZMQTT_FW_CMD
	SHELL_SUBCMD_SET_END);

SHELL_CMD_REGISTER(mqtt, &zmqtt_cmds, "zmqtt MQTT client", NULL);
