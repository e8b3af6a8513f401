/* motor_ctrl.h — velocity control of one Kestrel joint (HM-40 servo). */
#ifndef KESTREL_MOTOR_CTRL_H
#define KESTREL_MOTOR_CTRL_H

#include <stdbool.h>

/* Limits from the Hokuto Motors HM-40 datasheet (rev. C). */
#define HM40_MAX_CURRENT_A 6.5f
#define HM40_MAX_SPEED_RAD_S 12.0f

struct motor_ctrl {
	float kp, ki;        /* PI gains */
	float integral;      /* integrator state */
	float current_limit; /* amperes */
	int stall_ticks;     /* consecutive ticks at the current limit */
	bool stalled;
};

void motor_ctrl_init(struct motor_ctrl *m, float kp, float ki);
float motor_ctrl_step(struct motor_ctrl *m, float target, float measured, float dt);
bool motor_ctrl_stalled(const struct motor_ctrl *m);

#endif
