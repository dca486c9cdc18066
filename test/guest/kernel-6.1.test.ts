// The guest checks (checks/) on Debian's 6.1 cloud kernel, in one boot.
import { guestSuite } from "./suite.js";
import { ALL_CHECKS } from "./checks/index.js";

guestSuite("6.1", ALL_CHECKS);
