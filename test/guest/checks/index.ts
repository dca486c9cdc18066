// Every guest check, in the order a boot runs them.
import type { GuestCheck } from "../suite.js";
import { attachChecks } from "./attach.js";
import { commChecks } from "./comm.js";
import { coreChecks } from "./core.js";
import { cpuChecks } from "./cpu.js";
import { exampleChecks } from "./examples.js";
import { kernelChecks } from "./kernel.js";
import { userChecks } from "./user.js";

export const ALL_CHECKS: GuestCheck[] = [...kernelChecks, ...attachChecks, ...coreChecks, ...cpuChecks, ...exampleChecks, ...commChecks, ...userChecks];
