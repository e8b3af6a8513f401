/*
 * agent_int.h — what the agent's files share.
 */
#ifndef CR_AGENT_INT_H
#define CR_AGENT_INT_H

#include "cristal/agent.h"

#include <stdio.h>

#endif
