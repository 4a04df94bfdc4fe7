/*
 * mkxlsx.c -- writes an .xlsx workbook from a plain-text description, so
 * golden cases can hold workbooks as text (tests/cases/run_case.sh runs
 * it as $MKXLSX).  Written with libxlsxwriter, as Excel would save it:
 * strings shared (or inline with "constant_memory" on the first line),
 * numbers stored as numbers.  Lines:
 *   constant_memory          (first line only) inline strings
 *   sheet NAME               a new sheet
 *   s CELL TEXT              a string
 *   n CELL NUMBER            a number
 *   m RANGE TEXT             a merged range holding TEXT (A1:E1)
 * Usage: mkxlsx OUT.xlsx < DESCRIPTION
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

int main(int argc, char **argv)
{
	char line[4096];
	lxw_workbook *wb = NULL;
	lxw_worksheet *ws = NULL;
	lxw_workbook_options opt = {0};
	int first = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: mkxlsx OUT.xlsx < DESCRIPTION\n");
		return 2;
	}
	while (fgets(line, sizeof line, stdin)) {
		char *nl = strchr(line, '\n'), *ref, *text;
		if (nl)
			*nl = '\0';
		if (first) {
			first = 0;
			opt.constant_memory = strcmp(line, "constant_memory") == 0;
			wb = workbook_new_opt(argv[1], &opt);
			if (!wb)
				return 3;
			if (opt.constant_memory)
				continue;
		}
		if (!line[0])
			continue;
		if (strncmp(line, "sheet ", 6) == 0) {
			ws = workbook_add_worksheet(wb, line + 6);
			continue;
		}
		if (!ws)
			ws = workbook_add_worksheet(wb, NULL);
		ref = line + 2;
		text = strchr(ref, ' ');
		text = text ? (*text = '\0', text + 1) : ref + strlen(ref);
		if (line[0] == 's')
			worksheet_write_string(ws, lxw_name_to_row(ref),
			                       lxw_name_to_col(ref), text, NULL);
		else if (line[0] == 'n')
			worksheet_write_number(ws, lxw_name_to_row(ref),
			                       lxw_name_to_col(ref), strtod(text, NULL),
			                       NULL);
		else if (line[0] == 'm')
			worksheet_merge_range(ws, lxw_name_to_row(ref),
			                      lxw_name_to_col(ref),
			                      lxw_name_to_row_2(ref),
			                      lxw_name_to_col_2(ref), text, NULL);
		else {
			fprintf(stderr, "mkxlsx: bad line: %s\n", line);
			return 2;
		}
	}
	return workbook_close(wb) == LXW_NO_ERROR ? 0 : 3;
}
