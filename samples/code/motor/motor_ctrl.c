/*
 * motor_ctrl.c — PI velocity loop for one Kestrel joint.
 *
 * Runs at 2 kHz on the joint board. The output is a current command clamped
 * to the HM-40 limit; the integrator stops winding up while clamped. A joint
 * that sits at the current limit for STALL_TICKS ticks is reported stalled
 * (the gripper hit something), and the planner backs off.
 */
#include "motor_ctrl.h"

#define STALL_TICKS 400 /* 200 ms at 2 kHz */

static float clampf(float v, float lo, float hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void motor_ctrl_init(struct motor_ctrl *m, float kp, float ki)
{
	m->kp = kp;
	m->ki = ki;
	m->integral = 0.0f;
	m->current_limit = HM40_MAX_CURRENT_A;
	m->stall_ticks = 0;
	m->stalled = false;
}

/* One control tick: returns the current command in amperes. */
float motor_ctrl_step(struct motor_ctrl *m, float target, float measured, float dt)
{
	float err = clampf(target, -HM40_MAX_SPEED_RAD_S, HM40_MAX_SPEED_RAD_S) - measured;
	float out = m->kp * err + m->ki * (m->integral + err * dt);
	float cmd = clampf(out, -m->current_limit, m->current_limit);

	if (cmd == out)
		m->integral += err * dt; /* anti-windup: integrate only when not clamped */

	if (cmd != out)
		m->stall_ticks++;
	else
		m->stall_ticks = 0;
	m->stalled = m->stall_ticks >= STALL_TICKS;
	return cmd;
}

bool motor_ctrl_stalled(const struct motor_ctrl *m)
{
	return m->stalled;
}
