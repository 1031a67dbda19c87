/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /etc/pve/storage.cfg (storage.c, vh_storage_parse): the input is the
 * file; the storage asked for is "local", then the id the first line's
 * header names. A section found has a type and the id asked for, both
 * without blanks, and every string within its array. */
#include "fuzz.h"
#include "vfiohelp.h"

static void ask(const char *text, size_t len, const char *id)
{
	struct vh_storage st;
	if (vh_storage_parse(text, len, id, &st) < 0)
		return;
	FUZZ_TERMINATED(st.type);
	FUZZ_TERMINATED(st.id);
	FUZZ_TERMINATED(st.path);
	FUZZ_CHECK(!strcmp(st.id, id));
	FUZZ_CHECK(st.type[0] && !strpbrk(st.type, " \t\n:"));
	FUZZ_CHECK(!strpbrk(st.id, " \t\n"));
	FUZZ_CHECK(!strchr(st.path, '\n'));
	FUZZ_CHECK(!st.path_too_long || !st.path[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	ask(text, size, "local");
	const char *colon = memchr(text, ':', size);
	const char *nl = memchr(text, '\n', size);
	if (!colon || (nl && nl < colon))
		return 0;
	const char *id = colon + 1;
	size_t rest = (size_t)((nl ? nl : text + size) - id), skip = 0;
	while (skip < rest && (id[skip] == ' ' || id[skip] == '\t'))
		skip++;
	char want[80];
	size_t n = 0;
	while (skip + n < rest && n < sizeof(want) - 1 && id[skip + n] != ' ' &&
	       id[skip + n] != '\t' && id[skip + n] != '\0')
		n++;
	memcpy(want, id + skip, n);
	want[n] = '\0';
	ask(text, size, want);
	return 0;
}
