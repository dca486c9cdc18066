// bpf_trace_printk's formats against the values printed (compiler/frontend/printk-format.ts).

import { describe, expect, it } from "vitest";
import { checkPrintkFormat } from "../../compiler/frontend/printk-format.js";

describe("printk formats", () => {
  it("accepts every conversion the kernel knows, with l and ll, and %%", () => {
    expect(checkPrintkFormat("%d %i %u %x %X %o %c %p %ld %llu", [4, 4, 4, 4, 4, 4, 1, 8, 8, 8])).toEqual({ warnings: [] });
  });
  it("counts conversions against values", () => {
    expect(checkPrintkFormat("100%% %u", [4])).toEqual({ warnings: [] });
    expect(checkPrintkFormat("%u", []).error).toBe("the format has more conversions than the 0 values after it");
    expect(checkPrintkFormat("%u", [4, 4]).error).toBe("the format has 1 conversion for 2 values");
  });
  it("refuses unknown conversions and warns when 64 bits print as 32", () => {
    expect(checkPrintkFormat("%s", [8]).error).toMatch(/^'%s' is not a conversion/);
    expect(checkPrintkFormat("%d %ld %llx", [8, 8, 8]).warnings).toEqual(["value 1 has 64 bits; '%d' prints its low 32 (write %ld)"]);
  });
});
