/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The Unix time the sample gives zmqtt's Azure layer (azure::set_unix_time): SAS tokens
 * expire at a Unix time and Zephyr has no wall clock of its own. On the dl7450 the POSIX
 * clock, which net_config set from SNTP before main(); on native_sim the host's clock
 * (its simulated real-time clock starts at the host's time).
 */
#include <stdint.h>

#include <zephyr/kernel.h>

#if defined(CONFIG_ARCH_POSIX)
#include "native_rtc.h"
#else
/* clock_gettime() with CONFIG_POSIX_TIMERS, as net_config's SNTP code includes it. */
#include <zephyr/posix/time.h>
#endif

/* Seconds since 1970, or -1 when the clock is unset (still at 1970: SNTP failed). */
int64_t app_unix_time(void)
{
#if defined(CONFIG_ARCH_POSIX)
	return (int64_t)(native_rtc_gettime_us(RTC_CLOCK_PSEUDOHOSTREALTIME) / 1000000U);
#else
	struct timespec now;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0 || now.tv_sec < 1000000000) {
		return -1;
	}
	return (int64_t)now.tv_sec;
#endif
}
