/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Firmware update (CONFIG_ZMQTT_FOTA): the secondary slot through dfu/flash_img, the
 * MCUboot flags through dfu/mcuboot, and the download's progress in settings. The
 * protocol and the state machine are in Rust (rust/zmqtt-fota, rust/zmqtt-zephyr/src/fota.rs);
 * these functions only make the Zephyr calls. Each returns >= 0 or a negative errno.
 */
#include <errno.h>
#include <string.h>

#include <zephyr/devicetree.h>
#include <zephyr/dfu/flash_img.h>
#include <zephyr/dfu/mcuboot.h>
#include <zephyr/drivers/flash.h>
#include <zephyr/settings/settings.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/sys/reboot.h>

#define SLOT1_ID FIXED_PARTITION_ID(slot1_partition)
#define PROGRESS_KEY "zmqtt/fota"

static struct flash_img_context img;

int zmqtt_fota_capacity(void)
{
	/* The upload area less MCUboot's trailer would be exact; the slot size is what the
	 * offer is checked against, and an image that runs into the trailer fails imgtool's
	 * own checks first. */
	return (int)MIN(FIXED_PARTITION_SIZE(slot1_partition), INT32_MAX);
}

int zmqtt_fota_begin(uint32_t resume_at)
{
	const struct flash_area *fa;
	struct flash_pages_info page = {0};
	off_t start = 0;
	int rc = flash_area_open(SLOT1_ID, &fa);

	if (rc != 0) {
		return rc;
	}
	if (resume_at > 0) {
		/* Bytes past the last kept offset may be half-written: continue from the start
		 * of their erase page, the smallest unit that can be written again. */
		rc = flash_get_page_info_by_offs(flash_area_get_device(fa),
						 fa->fa_off + resume_at, &page);
		if (rc == 0) {
			start = page.start_offset - fa->fa_off;
		}
	}
	/* Erase from there to the end, the MCUboot trailer included, so that no old
	 * upgrade request survives a new download. */
	if (rc == 0) {
		rc = flash_area_flatten(fa, start, fa->fa_size - start);
	}
	flash_area_close(fa);
	if (rc == 0) {
		rc = flash_img_init(&img);
	}
	if (rc != 0) {
		return rc;
	}
	/* flash_img has no resume call: its stream writes at offset + bytes_written. */
	img.stream.bytes_written = start;
	return (int)start;
}

int zmqtt_fota_write(const uint8_t *data, size_t len)
{
	return flash_img_buffered_write(&img, data, len, false);
}

int zmqtt_fota_flush(void)
{
	return flash_img_buffered_write(&img, NULL, 0, true);
}

/* Bytes that reached flash (not counting flash_img's buffer). */
int zmqtt_fota_bytes_written(void)
{
	return (int)MIN(flash_img_bytes_written(&img), INT32_MAX);
}

/* 1: the slot's first `size` bytes hash to `sha256`; 0: they do not. */
int zmqtt_fota_check(uint32_t size, const uint8_t *sha256)
{
	const struct flash_img_check fic = {.match = sha256, .clen = size};
	int rc = flash_img_check(&img, &fic, SLOT1_ID);

	if (rc == -EILSEQ) {
		return 0;
	}
	return rc == 0 ? 1 : rc;
}

int zmqtt_fota_request_upgrade(void)
{
	return boot_request_upgrade(BOOT_UPGRADE_TEST);
}

int zmqtt_fota_is_confirmed(void)
{
	return boot_is_img_confirmed() ? 1 : 0;
}

int zmqtt_fota_confirm(void)
{
	return boot_write_img_confirmed();
}

static int settings_ready(void)
{
	static bool ready;
	int rc = 0;

	if (!ready) {
		rc = settings_subsys_init();
		ready = rc == 0;
	}
	return rc;
}

/* Keeps `len` bytes under "zmqtt/fota"; len 0 deletes the record. */
int zmqtt_fota_save(const uint8_t *record, size_t len)
{
	int rc = settings_ready();

	if (rc != 0) {
		return rc;
	}
	if (len == 0) {
		return settings_delete(PROGRESS_KEY);
	}
	return settings_save_one(PROGRESS_KEY, record, len);
}

struct load_target {
	uint8_t *buf;
	size_t cap;
	int len;
};

static int load_one(const char *key, size_t len, settings_read_cb read_cb, void *cb_arg,
		    void *param)
{
	struct load_target *t = param;

	/* Only the record itself, not a longer key below it. */
	if (key != NULL && key[0] != '\0') {
		return 0;
	}
	t->len = len > t->cap ? -EMSGSIZE : read_cb(cb_arg, t->buf, len);
	return 0;
}

/* Reads the record into `buf`: its length, 0 when there is none. */
int zmqtt_fota_load(uint8_t *buf, size_t cap)
{
	struct load_target t = {.buf = buf, .cap = cap, .len = 0};
	int rc = settings_ready();

	if (rc == 0) {
		rc = settings_load_subtree_direct(PROGRESS_KEY, load_one, &t);
	}
	return rc != 0 ? rc : t.len;
}

void zmqtt_fota_reboot(void)
{
	sys_reboot(SYS_REBOOT_COLD);
}
