#include "ldmctl.h"
static int nope(const struct subcommand *c, int a, char **v, const struct ldmctl_opts *o){(void)c;(void)a;(void)v;(void)o;return 1;}
const struct subcommand cmd_migrate={.name="migrate",.synopsis="",.summary="x",.help="x\n",.run=nope};
const struct subcommand cmd_serve={.name="serve",.synopsis="",.summary="x",.help="x\n",.run=nope};
const struct subcommand cmd_cancel_operation={.name="cancel-operation",.synopsis="",.summary="x",.help="x\n",.run=nope};
