/*
 * unit.csv -- the one CSV writer (csv.h): quoting, doubled quotes, the
 * formula guard inside the quotes, CRLF rows.  Expected bytes by hand.
 */
#include <stdlib.h>

#include "anxin/csv.h"
#include "check.h"

static char *row(const char *const *cells, int n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	REQUIRE(f);
	CHECK_INT(ax_csv_row(f, cells, n), 0);
	fclose(f);
	return buf;
}

int main(void)
{
	const char *plain[] = {"H1", "府前社区", NULL, "2026-11-03 15:00:00"};
	const char *quoted[] = {"a,b", "他说\"好\"", "两\r\n行"};
	const char *formula[] = {"=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)",
	                         "\tx", "a=b"};
	char *s;

	s = row(plain, 4);
	CHECK_STR(s, "H1,府前社区,,2026-11-03 15:00:00\r\n");
	free(s);
	s = row(quoted, 3);
	CHECK_STR(s, "\"a,b\",\"他说\"\"好\"\"\",\"两\r\n行\"\r\n");
	free(s);
	s = row(formula, 6);
	CHECK_STR(s, "\"'=HYPERLINK(\"\"x\"\")\",\"'+1\",\"'-2\",\"'@SUM(A1)\","
	             "\"'\tx\",a=b\r\n");
	free(s);
	printf("unit.csv: %d checks, %d failed\n", check_count, check_failures);
	return check_failures != 0;
}
