/* SPDX-License-Identifier: MIT */
/*
 * The platform module's private declarations: the ops table of each kind, picked by
 * pvpci_platform_open (platform.c).
 */
#ifndef PVPCI_PLATFORM_PRIV_H
#define PVPCI_PLATFORM_PRIV_H

#include "pvpci/platform.h"

extern const struct pvpci_platform_ops pvpci_local_platform_ops;

#endif
