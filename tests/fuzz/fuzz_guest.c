/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a guest prints, which the product parses and the guest controls:
 * byte 0 picks the parser (mod 4): the Linux probe's lines
 * (vh_probe_linux_parse), PowerShell's Get-PnpDevice JSON
 * (vh_probe_windows_parse), QMP query-pci's return value
 * (vh_qmp_pci_parse), guest-exec-status's base64 (vh_base64_decode).
 * Every string a guest can fill stays terminated and free of control
 * characters (they reach the admin's terminal and the hook log).
 */
#include "fuzz.h"
#include "internal.h"
#include "guest/agent.h"
#include "guest/probe.h"
#include "guest/qmp.h"

#include <json-c/json.h>

static void check_clean(const char *s, size_t size)
{
	FUZZ_CHECK(memchr(s, '\0', size) != NULL);
	for (; *s; s++)
		FUZZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
}

static void check_facts(const struct guest_facts *f)
{
	FUZZ_CHECK(f->n_klog <= GUEST_KLOG_MAX);
	FUZZ_CHECK(f->n_pci <= f->cap_pci);
	FUZZ_CHECK(f->secure_boot >= -1 && f->secure_boot <= 1);
	for (size_t i = 0; i < f->n_klog; i++)
		check_clean(f->klog[i], sizeof(f->klog[i]));
	for (size_t i = 0; i < f->n_pci; i++) {
		check_clean(f->pci[i].driver, sizeof(f->pci[i].driver));
		check_clean(f->pci[i].name, sizeof(f->pci[i].name));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	struct guest_facts f = { .secure_boot = -1 };
	struct vh_err err = { .msg = "" };
	switch (data[0] % 4) {
	case 0:
		if (vh_probe_linux_parse(text, &f, &err) < 0)
			FUZZ_CHECK(err.msg[0] != '\0');
		check_facts(&f);
		break;
	case 1:
		if (vh_probe_windows_parse(text, &f, &err) < 0)
			FUZZ_CHECK(err.msg[0] != '\0');
		check_facts(&f);
		break;
	case 2: {
		json_object *o = json_tokener_parse(text);
		struct vh_qmp_device *q = NULL;
		size_t n = 0;
		if (o && vh_qmp_pci_parse(o, &q, &n, &err) == 0)
			for (size_t i = 0; i < n; i++)
				FUZZ_TERMINATED(q[i].qdev_id);
		free(q);
		json_object_put(o);
		break;
	}
	default: {
		char *out = NULL;
		size_t len = 0;
		if (vh_base64_decode(text, size - 1, &out, &len) == 0)
			FUZZ_CHECK(len <= (size - 1) / 4 * 3 + 3 && out[len] == '\0');
		free(out);
	}
	}
	free(f.pci);
	free(text);
	return 0;
}
