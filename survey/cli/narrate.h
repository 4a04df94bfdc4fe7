/*
 * narrate.h -- a pack's narration in the anxin CLI (narrate.c): synthesis
 * with espeak-ng's Mandarin voice into Ogg Opus (`anxin content narrate
 * DIR`), and the narration checks of `anxin content lint`.
 */
#ifndef ANXIN_CLI_NARRATE_H
#define ANXIN_CLI_NARRATE_H

#include <anxin/content.h>

/* Plausible speaking rates of a narration for its text: characters (Han,
 * digits, letters; not punctuation) a second.  espeak-ng's cmn voice at
 * the rate used speaks about 3; people reading aloud 3 to 5. */
#define NARRATE_MIN_CPS 2.0
#define NARRATE_MAX_CPS 8.0

/* Synthesise narration for every page of the content folder dir with no
 * audio, write it into each pack (narration/PAGE.opus) and mark it
 * synthetic in pack.json ("audio_synthetic": true).  Returns 0, 1 when
 * some pack could not be narrated (said on stderr), 3 on failure. */
int cli_narrate(const char *dir, int quiet);

/* Check every narration file of c's packs: it decodes, and its length
 * fits its text (NARRATE_MIN_CPS..NARRATE_MAX_CPS).  Each problem is said
 * on stderr with the pack file and page, and counted in *nerr. */
void cli_narration_lint(const ax_content *c, int *nerr);

#endif
