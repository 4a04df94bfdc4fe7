/*
 * script.h -- the kiosk's scripted test driver (--script FILE): one command
 * a line, run against the real UI, renderer and store on the virtual clock
 * (--clock-fixed), so tests drive whole sessions headless.
 *
 *   tap-id ID            press the widget's centre, 120 ms, release, 600 ms
 *   tap X Y              press and release at a point
 *   press-slide ID       press, slide off and back, release: must not act
 *   swipe left|right     or swipe X1 Y1 X2 Y2
 *   type DIGITS          tap keypad-D for each digit
 *   wait MS, advance-clock S
 *   shot NAME            write NAME.png into --shots DIR
 *   goto SCREEN          kui_debug_goto
 *   expect-screen NAME   "idle" while 您还在吗？ shows
 *   expect-held N, expect-store ok|full|read-only|failing
 *   sync, sh COMMAND, kill9
 * Blank lines and lines starting with '#' are skipped.
 */
#ifndef KIOSK_SCRIPT_H
#define KIOSK_SCRIPT_H

#include "app.h"

/*
 * Run the script at path against a (borrowed; its UI, renderer and store
 * open, its clock fixed).  Screenshots go to shots (may be NULL: none).
 * Every frame drawn is checked for clipped text.  Returns 0; 1 when a
 * command fails (logged as "path:line: ..."), stopping the script; 3 when
 * all commands passed but some frame had clipped text.
 */
int kscript_run(struct app *a, const char *path, const char *shots);

#endif
