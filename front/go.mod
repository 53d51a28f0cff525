module lanyard/front

go 1.19
