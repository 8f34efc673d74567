# SPDX-License-Identifier: Apache-2.0
#
# The DL-7450 model runs on QEMU's mps2-an385 machine.

set(SUPPORTED_EMU_PLATFORMS qemu)
set(QEMU_CPU_TYPE_${ARCH} cortex-m3)
set(QEMU_FLAGS_${ARCH}
  -cpu ${QEMU_CPU_TYPE_${ARCH}}
  -machine mps2-an385
  -nographic
  -vga none
  )
board_set_debugger_ifnset(qemu)
